import { gemm } from './_gemm'
import { fma4 } from './_vec'
import { g, im2col } from './_im2col'
import { fitsSame3x3, conv2dSame3x3, conv1Same3x3 } from './_direct3x3'
import { isValid3x3, conv2dValid3x3 } from './_direct3x3_valid'

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
    if (fitsSame3x3(geo, mb * K)) conv1Same3x3(x, w, y, geo, m0, m1, scratch)
    else conv2dSingleChannel(x, w, y, geo, m0, m1)
    return
  }
  if (ASC_FEATURE_SIMD && (OC & 7) == 0 && (C & 3) == 0 && fitsSame3x3(geo, mb * K)) {
    conv2dSame3x3(x, w, y, geo, m0, m1, scratch)
    return
  }
  if (ASC_FEATURE_SIMD && (OC & 7) == 0 && (C & 3) == 0 && isValid3x3(geo)) {
    conv2dValid3x3(x, w, y, geo, m0, m1)
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
