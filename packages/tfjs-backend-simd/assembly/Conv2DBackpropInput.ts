import { gemm } from './_gemm'
import { g, col2im } from './_im2col'
import { isPointwise } from './Conv2D'
import { zeroF32 } from './_vec'
import { fitsSame3x3, backpropInputSame3x3 } from './_direct3x3'
import { isValid3x3, backpropInputValid3x3, validInputScratch } from './_direct3x3_valid'

/**
 * dx for images [n0, n1): dcol = dy·wᵀ (wt is w transposed to [OC, K]) then scattered back with col2im.
 * Threads split by image, so no two threads ever add into the same dx element.
 */
export function conv2d_backprop_input_f32(dy: usize, wt: usize, dx: usize, geo: usize, n0: i32, n1: i32,
  scratch: usize, mb: i32): void {
  const H = g(geo, 1), W = g(geo, 2), C = g(geo, 3), OH = g(geo, 4), OW = g(geo, 5), OC = g(geo, 6)
  const K = g(geo, 7) * g(geo, 8) * C
  const ohw = OH * OW
  if (isPointwise(geo)) {
    gemm(dy + (<usize>(n0 * ohw * OC) << 2), OC, 1, wt, C, dx + (<usize>(n0 * H * W * C) << 2), C,
      (n1 - n0) * ohw, C, OC, 0)
    return
  }
  if (ASC_FEATURE_SIMD && (C & 7) == 0 && (OC & 3) == 0 && fitsSame3x3(geo, mb * K, OC)) {
    backpropInputSame3x3(dy, wt, dx, geo, n0, n1, scratch, mb * K)
    return
  }
  if (ASC_FEATURE_SIMD && (C & 7) == 0 && (OC & 3) == 0 && isValid3x3(geo) && validInputScratch(geo) <= mb * K) {
    backpropInputValid3x3(dy, wt, dx, geo, n0, n1, scratch)
    return
  }
  zeroF32(dx + (<usize>(n0 * H * W * C) << 2), (n1 - n0) * H * W * C)
  const mEnd = n1 * ohw
  for (let m = n0 * ohw; m < mEnd; m += mb) {
    const e = m + mb < mEnd ? m + mb : mEnd
    gemm(dy + (<usize>(m * OC) << 2), OC, 1, wt, K, scratch, K, e - m, K, OC, 0)
    col2im(scratch, geo, m, e, dx)
  }
}
