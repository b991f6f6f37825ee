import { gemm } from './_gemm'
import { g, im2col } from './_im2col'
import { is3x3, isPointwise, pixelOrZero } from './Conv2D'
import { fma4 } from './_vec'
import { zeroF32 } from './_vec'
import { isSame3x3, filterGradSame3x3, filterGrad1Same3x3 } from './_direct3x3'

/** dw[K, OC] = sum over rows m in [m0, m1) of patch(m)ᵀ·dy(m). Each thread owns its own dw partial. */
export function conv2d_backprop_filter_f32(x: usize, dy: usize, dw: usize, geo: usize, m0: i32, m1: i32,
  scratch: usize, mb: i32): void {
  const C = g(geo, 3), OC = g(geo, 6), fh = g(geo, 7), fw = g(geo, 8)
  const K = fh * fw * C
  if (ASC_FEATURE_SIMD && C == 1 && (OC & 3) == 0 && isSame3x3(geo) && (g(geo, 1) + 2) * (g(geo, 2) + 2) <= mb * K) {
    filterGrad1Same3x3(x, dy, dw, geo, m0, m1, scratch)
    return
  }
  if (ASC_FEATURE_SIMD && C == 1 && (OC & 3) == 0 && is3x3(geo)) {
    filterGradSingleChannel3x3(x, dy, dw, geo, m0, m1)
    return
  }
  if (ASC_FEATURE_SIMD && (OC & 7) == 0 && (C & 3) == 0 && isSame3x3(geo) && (g(geo, 1) + 2) * (g(geo, 2) + 2) * C <= mb * K) {
    filterGradSame3x3(x, dy, dw, geo, m0, m1, scratch)
    return
  }
  zeroF32(dw, K * OC)
  if (isPointwise(geo)) {
    gemm(x + (<usize>(m0 * C) << 2), 1, C, dy + (<usize>(m0 * OC) << 2), OC, dw, OC, C, OC, m1 - m0, 1)
    return
  }
  for (let m = m0; m < m1; m += mb) {
    const e = m + mb < m1 ? m + mb : m1
    im2col(x, geo, m, e, scratch)
    gemm(scratch, 1, K, dy + (<usize>(m * OC) << 2), OC, dw, OC, K, OC, e - m, 1)
  }
}

/**
 * dw of the one-channel 3x3 case: per output-channel vector, 9 accumulators in registers over all rows, each
 * patch's 9 pixels read straight from memory inside the image (bounds only on the border). im2col + GEMM with
 * K = 9 spent its time on the patch copies and on GEMM tiles far wider than the 9 taps.
 */
function filterGradSingleChannel3x3(x: usize, dy: usize, dw: usize, geo: usize, m0: i32, m1: i32): void {
  const H = g(geo, 1), W = g(geo, 2), OH = g(geo, 4), OW = g(geo, 5), OC = g(geo, 6)
  const sh = g(geo, 9), sw = g(geo, 10), pt = g(geo, 11), pl = g(geo, 12)
  const ohw = OH * OW
  const rowBytes = <usize>W << 2
  for (let v = 0; v < OC; v += 4) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0), a4 = f32x4.splat(0)
    let a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0), a8 = f32x4.splat(0)
    let n = m0 / ohw
    let oh = (m0 - n * ohw) / OW
    let ow = m0 - n * ohw - oh * OW
    for (let m = m0; m < m1; m++, ow++) {
      if (ow == OW) { ow = 0; oh++; if (oh == OH) { oh = 0; n++ } }
      const gv = v128.load(dy + (<usize>(m * OC + v) << 2))
      const ih = oh * sh - pt
      const iw = ow * sw - pl
      if (ih >= 0 && ih + 2 < H && iw >= 0 && iw + 2 < W) {
        const p = x + (<usize>((n * H + ih) * W + iw) << 2)
        a0 = fma4(v128.load32_splat(p), gv, a0)
        a1 = fma4(v128.load32_splat(p + 4), gv, a1)
        a2 = fma4(v128.load32_splat(p + 8), gv, a2)
        const q = p + rowBytes
        a3 = fma4(v128.load32_splat(q), gv, a3)
        a4 = fma4(v128.load32_splat(q + 4), gv, a4)
        a5 = fma4(v128.load32_splat(q + 8), gv, a5)
        const r = q + rowBytes
        a6 = fma4(v128.load32_splat(r), gv, a6)
        a7 = fma4(v128.load32_splat(r + 4), gv, a7)
        a8 = fma4(v128.load32_splat(r + 8), gv, a8)
      } else {
        a0 = fma4(f32x4.splat(pixelOrZero(x, n, ih, iw, H, W)), gv, a0)
        a1 = fma4(f32x4.splat(pixelOrZero(x, n, ih, iw + 1, H, W)), gv, a1)
        a2 = fma4(f32x4.splat(pixelOrZero(x, n, ih, iw + 2, H, W)), gv, a2)
        a3 = fma4(f32x4.splat(pixelOrZero(x, n, ih + 1, iw, H, W)), gv, a3)
        a4 = fma4(f32x4.splat(pixelOrZero(x, n, ih + 1, iw + 1, H, W)), gv, a4)
        a5 = fma4(f32x4.splat(pixelOrZero(x, n, ih + 1, iw + 2, H, W)), gv, a5)
        a6 = fma4(f32x4.splat(pixelOrZero(x, n, ih + 2, iw, H, W)), gv, a6)
        a7 = fma4(f32x4.splat(pixelOrZero(x, n, ih + 2, iw + 1, H, W)), gv, a7)
        a8 = fma4(f32x4.splat(pixelOrZero(x, n, ih + 2, iw + 2, H, W)), gv, a8)
      }
    }
    const tap = <usize>OC << 2
    const o = dw + (<usize>v << 2)
    v128.store(o, a0); v128.store(o + tap, a1); v128.store(o + 2 * tap, a2)
    v128.store(o + 3 * tap, a3); v128.store(o + 4 * tap, a4); v128.store(o + 5 * tap, a5)
    v128.store(o + 6 * tap, a6); v128.store(o + 7 * tap, a7); v128.store(o + 8 * tap, a8)
  }
}
