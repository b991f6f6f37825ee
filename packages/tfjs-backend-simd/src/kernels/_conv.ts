import { backend_util } from '@tensorflow/tfjs-core'
import {
  GEO_C,
  GEO_DH,
  GEO_DW,
  GEO_FH,
  GEO_FW,
  GEO_H,
  GEO_INTS,
  GEO_N,
  GEO_OC,
  GEO_OH,
  GEO_OW,
  GEO_PL,
  GEO_PT,
  GEO_SH,
  GEO_SW,
  GEO_W,
} from '../../assembly/abi'
import type { Call } from './_call'

/** NHWC, float32, no depthwise: the geometry the wasm conv kernels handle. */
export function convSupported(info: backend_util.Conv2DInfo): boolean {
  return info.dataFormat === 'channelsLast' && info.inChannels > 0 && info.outChannels > 0
}

/**
 * The i32 geometry block read by the conv and pool kernels (assembly/_im2col.ts), laid out by assembly/abi.ts.
 * `batch` and `outChannels` override the info's (the fused trainer sizes for its largest batch; a pool keeps C).
 */
export function geometryInts(c: backend_util.Conv2DInfo, batch = c.batchSize, outChannels = c.outChannels): Int32Array {
  const g = new Int32Array(GEO_INTS)
  g[GEO_N] = batch
  g[GEO_H] = c.inHeight
  g[GEO_W] = c.inWidth
  g[GEO_C] = c.inChannels
  g[GEO_OH] = c.outHeight
  g[GEO_OW] = c.outWidth
  g[GEO_OC] = outChannels
  g[GEO_FH] = c.filterHeight
  g[GEO_FW] = c.filterWidth
  g[GEO_SH] = c.strideHeight
  g[GEO_SW] = c.strideWidth
  g[GEO_PT] = c.padInfo.top
  g[GEO_PL] = c.padInfo.left
  g[GEO_DH] = c.dilationHeight
  g[GEO_DW] = c.dilationWidth
  return g
}

/** Writes the geometry block of `c` into the call's scratch. */
export function geometry(call: Call, c: backend_util.Conv2DInfo): number {
  return call.ints(geometryInts(c))
}

/** Rows of the patch matrix gathered per block: about 128 KiB of patches, a multiple of 4. */
export function blockRows(c: backend_util.Conv2DInfo): number {
  return patchBlockRows(c.filterHeight * c.filterWidth * c.inChannels)
}

/** The same for a patch length k. */
export function patchBlockRows(k: number): number {
  return Math.max(4, Math.floor(32768 / k / 4) * 4)
}

export function convFlops(c: backend_util.Conv2DInfo): number {
  return 2 * c.batchSize * c.outHeight * c.outWidth * c.outChannels * c.filterHeight * c.filterWidth * c.inChannels
}
