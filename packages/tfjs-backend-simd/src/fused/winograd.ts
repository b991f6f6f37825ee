import type { backend_util } from '@tensorflow/tfjs-core'
import { GEO_C, GEO_H, GEO_OC, GEO_OH, GEO_OW, GEO_PL, GEO_PT, GEO_W } from '../../assembly/abi'
import type { SimdBuild } from '../flags'

// Which of the fused step's convolutions run as Winograd convolutions (assembly/Winograd3x3.ts: F(4x4, 3x3) forward
// and input gradient, F(4x4, 3x3) or F(2x2, 3x3) filter gradient), and the host side of those kernels. A fixed rule of the layer's
// shape (never a timing), so a network's results are the same on every run and thread count.

/**
 * Whether conv layer `c` runs as Winograd convolutions in the fused step and fused inference: a SIMD build, a 3x3
 * filter at stride 1 without dilation, 'same' (padding 1) or 'valid' (padding 0), input and output channels multiples
 * of 4 (the transforms work on 4-channel vectors), and WIDE_CHANNELS output channels or LARGE_OUTPUT pixels with
 * C·OC >= 128 (see WIDE_CHANNELS).
 */
export function usesWinograd(c: backend_util.Conv2DInfo, build: SimdBuild): boolean {
  if (build === 'scalar') return false
  if (c.filterHeight !== 3 || c.filterWidth !== 3 || c.strideHeight !== 1 || c.strideWidth !== 1) return false
  if (c.dilationHeight !== 1 || c.dilationWidth !== 1) return false
  if (c.inChannels % 4 !== 0 || c.outChannels % 4 !== 0) return false
  const { top, left, bottom, right } = c.padInfo
  const same = top === 1 && left === 1 && bottom === 1 && right === 1
  const valid = top === 0 && left === 0 && bottom === 0 && right === 0
  if (!((same && c.outHeight === c.inHeight && c.outWidth === c.inWidth) || valid)) return false
  const large = c.outHeight * c.outWidth >= LARGE_OUTPUT && c.inChannels * c.outChannels >= 128
  return c.outChannels >= WIDE_CHANNELS || large
}

/**
 * The size rule (2026-12-07, bench/winograd.ts and bench/stages.ts, CPU time of one thread): every 3x3 shape measured
 * was faster as Winograd, 20-45 % per pass (least: the forward pass of the 'valid' 7x7 -> 5x5, whose four 4x4 tiles
 * cover 8x8). The rule keeps @mnist/model's default network (8->16 at 14x14, 16->24 and 24->24 at 7x7) on the direct
 * kernels, so its training results stay bit for bit those its accuracy was measured with: Winograd changes the
 * rounding, and with F(2x2, 3x3) on those layers (an earlier stage of this work) the one-epoch test accuracy of seeds
 * 1-3 came out at a mean of 99.15 % (99.22 % direct), under the 99.2 % it is held to. 32 filters or a 28x28 output
 * is where model C's time is (25-45 % less per pass); its 8->16 at 14x14, the default network's shape, stays direct.
 */
const WIDE_CHANNELS = 32
const LARGE_OUTPUT = 28 * 28

/**
 * Tiles per block of winograd_conv_f32 (4x4 outputs each) and winograd_filter_grad_f32 (2x2 each): multiples of 4.
 * Measured with bench/winograd.ts on the layers of model C: the fastest or within noise of it for every pass (fewer
 * left the GEMMs' setup uncovered, more spilled the transforms out of the first-level cache).
 */
export const CONV_TILES = 8
export const FILTER_TILES = 16
/** Tiles per block of winograd4_filter_grad_f32 (4x4 outputs each). */
export const FILTER4_TILES = 16

/**
 * Whether a Winograd layer's filter gradient runs as F(4x4, 3x3) (winograd4_filter_grad_f32) rather than F(2x2, 3x3):
 * outputs of at least 14x14. Measured (bench/winograd.ts): 15-25 % faster at 14x14 and 28x28, the same at 7x7, 35 %
 * slower at 5x5 (four 4x4 tiles cover 8x8 there).
 */
export function filterGradByF4(c: backend_util.Conv2DInfo): boolean {
  return c.outHeight >= 14 && c.outWidth >= 14
}

/** Floats of winograd_weights_f32's filter transforms: 36 planes of C·OC, each a cache line longer. */
export function transformFloats(inChannels: number, outChannels: number): number {
  return 36 * (inChannels * outChannels + 16)
}

/** Floats of scratch one winograd_conv_f32 call uses: the block's transforms, a few vectors, one padded image. */
export function convScratch(inChannels: number, outChannels: number, outHeight: number, outWidth: number): number {
  const padded = (4 * Math.ceil(outHeight / 4) + 2) * (4 * Math.ceil(outWidth / 4) + 2) * inChannels
  return 36 * (CONV_TILES * (inChannels + outChannels) + 32) + 48 * 4 + padded
}

/**
 * Floats of scratch one winograd_filter_grad_f32 (`f4` false) or winograd4_filter_grad_f32 call uses: the block's
 * transforms, the sums, a few vectors, one padded image.
 */
export function filterScratch(
  inChannels: number,
  outChannels: number,
  outHeight: number,
  outWidth: number,
  f4: boolean,
): number {
  const m = f4 ? 4 : 2
  const xi = f4 ? 36 : 16
  const tiles = f4 ? FILTER4_TILES : FILTER_TILES
  const padded = (m * Math.ceil(outHeight / m) + 2) * (m * Math.ceil(outWidth / m) + 2) * inChannels
  return xi * (tiles * (inChannels + outChannels) + 32) + xi * (inChannels * outChannels + 16) + 48 * 4 + padded
}

/**
 * The geometry of the input gradient's convolution (dy [OH, OW, OC] to dx [H, W, C] with the filters rotated by 180°,
 * padding 2 - pad) from the layer's geometry block `geo` (GEO_INTS values).
 */
export function transposedGeometry(geo: Int32Array): Int32Array {
  const t = geo.slice()
  t[GEO_H] = geo[GEO_OH]!
  t[GEO_W] = geo[GEO_OW]!
  t[GEO_C] = geo[GEO_OC]!
  t[GEO_OH] = geo[GEO_H]!
  t[GEO_OW] = geo[GEO_W]!
  t[GEO_OC] = geo[GEO_C]!
  t[GEO_PT] = 2 - geo[GEO_PT]!
  t[GEO_PL] = 2 - geo[GEO_PL]!
  return t
}
