import { gemm } from './_gemm'
import { g, im2col } from './_im2col'
import { isPointwise } from './Conv2D'
import { zeroF32 } from './_vec'
import { fitsSame3x3, filterGradSame3x3, filterGrad1Same3x3 } from './_direct3x3'
import { isValid3x3, filterGradValid3x3 } from './_direct3x3_valid'

/** dw[K, OC] = sum over rows m in [m0, m1) of patch(m)ᵀ·dy(m). Each thread owns its own dw partial. */
export function conv2d_backprop_filter_f32(x: usize, dy: usize, dw: usize, geo: usize, m0: i32, m1: i32,
  scratch: usize, mb: i32): void {
  const C = g(geo, 3), OC = g(geo, 6), fh = g(geo, 7), fw = g(geo, 8)
  const K = fh * fw * C
  if (ASC_FEATURE_SIMD && C == 1 && (OC & 3) == 0 && fitsSame3x3(geo, mb * K)) {
    filterGrad1Same3x3(x, dy, dw, geo, m0, m1, scratch)
    return
  }
  if (ASC_FEATURE_SIMD && (OC & 7) == 0 && (C & 3) == 0 && fitsSame3x3(geo, mb * K)) {
    filterGradSame3x3(x, dy, dw, geo, m0, m1, scratch, mb * K)
    return
  }
  if (ASC_FEATURE_SIMD && (OC & 7) == 0 && (C & 3) == 0 && isValid3x3(geo)) {
    filterGradValid3x3(x, dy, dw, geo, m0, m1)
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
