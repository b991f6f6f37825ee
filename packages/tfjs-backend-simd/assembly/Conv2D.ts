import { gemm } from './_gemm'
import { fma4 } from './_vec'
import { g, im2col } from './_im2col'
import { isSame3x3, conv2dSame3x3, conv1Same3x3 } from './_direct3x3'

/**
 * y rows [m0, m1) of the NHWC convolution, row m = (n, oh, ow). w is [fh, fw, C, OC] = [K, OC] row-major.
 * Patches are gathered mb rows at a time into `scratch` (mb*K floats) so they stay in cache.
 */
export function conv2d_f32(x: usize, w: usize, y: usize, geo: usize, m0: i32, m1: i32, scratch: usize, mb: i32): void {
  const C = g(geo, 3), OC = g(geo, 6), fh = g(geo, 7), fw = g(geo, 8)
  const K = fh * fw * C
  if (isPointwise(geo)) {
    gemm(x + (<usize>(m0 * C) << 2), C, 1, w, OC, y + (<usize>(m0 * OC) << 2), OC, m1 - m0, OC, C, 0)
    return
  }
  if (ASC_FEATURE_SIMD && C == 1 && (OC & 3) == 0) {
    if (isSame3x3(geo) && (g(geo, 1) + 2) * (g(geo, 2) + 2) <= mb * K) conv1Same3x3(x, w, y, geo, m0, m1, scratch)
    else if (is3x3(geo)) conv2dSingleChannel3x3(x, w, y, geo, m0, m1)
    else conv2dSingleChannel(x, w, y, geo, m0, m1)
    return
  }
  if (ASC_FEATURE_SIMD && (OC & 7) == 0 && (C & 3) == 0 && isSame3x3(geo) && (g(geo, 1) + 2) * (g(geo, 2) + 2) * C <= mb * K) {
    conv2dSame3x3(x, w, y, geo, m0, m1, scratch)
    return
  }
  for (let m = m0; m < m1; m += mb) {
    const e = m + mb < m1 ? m + mb : m1
    im2col(x, geo, m, e, scratch)
    gemm(scratch, K, 1, w, OC, y + (<usize>(m * OC) << 2), OC, e - m, OC, K, 0)
  }
}

/**
 * One input channel (the first layer on images): K = fh*fw is too short for im2col + GEMM to pay off, so each
 * output pixel sums its taps directly, two output-channel vectors at a time.
 */
function conv2dSingleChannel(x: usize, w: usize, y: usize, geo: usize, m0: i32, m1: i32): void {
  const H = g(geo, 1), W = g(geo, 2), OH = g(geo, 4), OW = g(geo, 5), OC = g(geo, 6)
  const fh = g(geo, 7), fw = g(geo, 8), sh = g(geo, 9), sw = g(geo, 10)
  const pt = g(geo, 11), pl = g(geo, 12), dh = g(geo, 13), dw = g(geo, 14)
  const ohw = OH * OW
  const nv = OC >> 2
  const tapStride = <usize>OC << 2
  // (n, oh, ow) of row m, advanced per row: integer division per row costs more than a 1-channel pixel's work
  let n = m0 / ohw
  let oh = (m0 - n * ohw) / OW
  let ow = m0 - n * ohw - oh * OW
  for (let m = m0; m < m1; m++, ow++) {
    if (ow == OW) { ow = 0; oh++; if (oh == OH) { oh = 0; n++ } }
    const ih0 = oh * sh - pt
    const iw0 = ow * sw - pl
    const out = y + (<usize>(m * OC) << 2)
    for (let v = 0; v < nv; v += 2) {
      const two = v + 1 < nv
      let acc0 = f32x4.splat(0)
      let acc1 = f32x4.splat(0)
      for (let kh = 0; kh < fh; kh++) {
        const ih = ih0 + kh * dh
        if (ih < 0 || ih >= H) continue
        const xrow = x + (<usize>((n * H + ih) * W) << 2)
        let wp = w + (<usize>(kh * fw) * tapStride) + (<usize>v << 4)
        for (let kw = 0; kw < fw; kw++) {
          const iw = iw0 + kw * dw
          if (iw >= 0 && iw < W) {
            const xv = v128.load32_splat(xrow + (<usize>iw << 2))
            acc0 = fma4(xv, v128.load(wp), acc0)
            if (two) acc1 = fma4(xv, v128.load(wp, 16), acc1)
          }
          wp += tapStride
        }
      }
      v128.store(out + (<usize>v << 4), acc0)
      if (two) v128.store(out + (<usize>v << 4), acc1, 16)
    }
  }
}

/** 1x1 filter, stride 1, no padding: the patch matrix is x itself. */
export function isPointwise(geo: usize): bool {
  return g(geo, 7) == 1 && g(geo, 8) == 1 && g(geo, 9) == 1 && g(geo, 10) == 1 && g(geo, 11) == 0 && g(geo, 12) == 0
    && g(geo, 1) == g(geo, 4) && g(geo, 2) == g(geo, 5)
}

/** 3x3 filter without dilation. */
export function is3x3(geo: usize): bool {
  return g(geo, 7) == 3 && g(geo, 8) == 3 && g(geo, 13) == 1 && g(geo, 14) == 1
}

/** x[n, ih, iw] of a one-channel image, 0 outside it (the zero padding). */
// @ts-ignore: decorator
@inline export function pixelOrZero(x: usize, n: i32, ih: i32, iw: i32, H: i32, W: i32): f32 {
  return ih >= 0 && ih < H && iw >= 0 && iw < W ? load<f32>(x + (<usize>((n * H + ih) * W + iw) << 2)) : 0
}

/**
 * The one-channel 3x3 case (the first layer of the MNIST CNN): the 9 input pixels of a patch are read once
 * (straight from memory inside the image, with bounds only on the border) and reused for every output-channel vector.
 */
function conv2dSingleChannel3x3(x: usize, w: usize, y: usize, geo: usize, m0: i32, m1: i32): void {
  const H = g(geo, 1), W = g(geo, 2), OH = g(geo, 4), OW = g(geo, 5), OC = g(geo, 6)
  const sh = g(geo, 9), sw = g(geo, 10), pt = g(geo, 11), pl = g(geo, 12)
  const ohw = OH * OW
  const tap = <usize>OC << 2
  const rowBytes = <usize>W << 2
  let n = m0 / ohw
  let oh = (m0 - n * ohw) / OW
  let ow = m0 - n * ohw - oh * OW
  for (let m = m0; m < m1; m++, ow++) {
    if (ow == OW) { ow = 0; oh++; if (oh == OH) { oh = 0; n++ } }
    const ih = oh * sh - pt
    const iw = ow * sw - pl
    let x0: f32, x1: f32, x2: f32, x3: f32, x4: f32, x5: f32, x6: f32, x7: f32, x8: f32
    if (ih >= 0 && ih + 2 < H && iw >= 0 && iw + 2 < W) {
      const p = x + (<usize>((n * H + ih) * W + iw) << 2)
      x0 = load<f32>(p); x1 = load<f32>(p, 4); x2 = load<f32>(p, 8)
      const q = p + rowBytes
      x3 = load<f32>(q); x4 = load<f32>(q, 4); x5 = load<f32>(q, 8)
      const r = q + rowBytes
      x6 = load<f32>(r); x7 = load<f32>(r, 4); x8 = load<f32>(r, 8)
    } else {
      x0 = pixelOrZero(x, n, ih, iw, H, W); x1 = pixelOrZero(x, n, ih, iw + 1, H, W); x2 = pixelOrZero(x, n, ih, iw + 2, H, W)
      x3 = pixelOrZero(x, n, ih + 1, iw, H, W); x4 = pixelOrZero(x, n, ih + 1, iw + 1, H, W); x5 = pixelOrZero(x, n, ih + 1, iw + 2, H, W)
      x6 = pixelOrZero(x, n, ih + 2, iw, H, W); x7 = pixelOrZero(x, n, ih + 2, iw + 1, H, W); x8 = pixelOrZero(x, n, ih + 2, iw + 2, H, W)
    }
    const out = y + (<usize>(m * OC) << 2)
    for (let v = 0; v < OC; v += 4) {
      const wp = w + (<usize>v << 2)
      let acc = f32x4.mul(f32x4.splat(x0), v128.load(wp))
      acc = fma4(f32x4.splat(x1), v128.load(wp + tap), acc)
      acc = fma4(f32x4.splat(x2), v128.load(wp + 2 * tap), acc)
      acc = fma4(f32x4.splat(x3), v128.load(wp + 3 * tap), acc)
      acc = fma4(f32x4.splat(x4), v128.load(wp + 4 * tap), acc)
      acc = fma4(f32x4.splat(x5), v128.load(wp + 5 * tap), acc)
      acc = fma4(f32x4.splat(x6), v128.load(wp + 6 * tap), acc)
      acc = fma4(f32x4.splat(x7), v128.load(wp + 7 * tap), acc)
      acc = fma4(f32x4.splat(x8), v128.load(wp + 8 * tap), acc)
      v128.store(out + (<usize>v << 2), acc)
    }
  }
}
