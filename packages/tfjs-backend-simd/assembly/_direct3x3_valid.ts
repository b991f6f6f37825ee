// Direct 3x3 / stride 1 / 'valid' (no padding) convolutions, the counterparts of _direct3x3.ts's 'same' ones: the
// input image already is what the 'same' kernels pad to (output pixel (oh, ow) reads input pixels oh..oh+2,
// ow..ow+2 of rows OW + 2 wide), so forward and filter gradient run the same register tiles on it without a copy;
// the input gradient pads dy by 2 (a full correlation). Same tap order as im2col + GEMM for the forward pass and
// the filter gradient. SIMD builds only; callers check isValid3x3 (and the channel multiples) first.
import { copyF32, zeroF32 } from './_vec'
import { g } from './_im2col'
import { directImage, filterGradPadded } from './_direct3x3'

/** 3x3, stride 1, no dilation, no padding: output (H-2) x (W-2). */
export function isValid3x3(geo: usize): bool {
  return g(geo, 7) == 3 && g(geo, 8) == 3 && g(geo, 9) == 1 && g(geo, 10) == 1 && g(geo, 11) == 0 && g(geo, 12) == 0
    && g(geo, 13) == 1 && g(geo, 14) == 1 && g(geo, 4) == g(geo, 1) - 2 && g(geo, 5) == g(geo, 2) - 2
    && g(geo, 4) > 0 && g(geo, 5) > 0
}

/** Forward: y rows [m0, m1) (m = (n, oh, ow)), w [3, 3, C, OC]; C multiple of 4, OC multiple of 8. */
export function conv2dValid3x3(x: usize, w: usize, y: usize, geo: usize, m0: i32, m1: i32): void {
  const H = g(geo, 1), W = g(geo, 2), C = g(geo, 3), OH = g(geo, 4), OW = g(geo, 5), OC = g(geo, 6)
  const ohw = OH * OW
  const nEnd = (m1 + ohw - 1) / ohw
  const rowB = W * C * 4
  for (let n = m0 / ohw; n < nEnd; n++) {
    const b0 = n * ohw
    const q0 = m0 > b0 ? m0 - b0 : 0
    const q1 = m1 < b0 + ohw ? m1 - b0 : ohw
    if (q1 <= q0) continue
    directImage(x + (<usize>(n * H * W * C) << 2), OW, C, q0, q1, w, <usize>OC << 2, 3 * C, 3, 1, rowB, 0,
      3 * C * OC * 4, 0, y + (<usize>((b0 + q0) * OC) << 2), OC)
  }
}

/** Filter gradient over rows [m0, m1): dw[K, OC], overwritten; C multiple of 4, OC multiple of 8. */
export function filterGradValid3x3(x: usize, dy: usize, dw: usize, geo: usize, m0: i32, m1: i32): void {
  const H = g(geo, 1), W = g(geo, 2), C = g(geo, 3), OH = g(geo, 4), OW = g(geo, 5), OC = g(geo, 6)
  const ohw = OH * OW
  zeroF32(dw, 9 * C * OC)
  const nEnd = (m1 + ohw - 1) / ohw
  for (let n = m0 / ohw; n < nEnd; n++) {
    const b0 = n * ohw
    const q0 = m0 > b0 ? m0 - b0 : 0
    const q1 = m1 < b0 + ohw ? m1 - b0 : ohw
    if (q1 <= q0) continue
    filterGradPadded(x + (<usize>(n * H * W * C) << 2), OW, C, OC, q0, q1, dy + (<usize>((b0 + q0) * OC) << 2), dw)
  }
}

/** Floats of scratch backpropInputValid3x3 needs: dy padded by 2 ((H+2)(W+2)·OC) and the flipped filter (9·OC·C). */
export function validInputScratch(geo: usize): i32 {
  return (g(geo, 1) + 2) * (g(geo, 2) + 2) * g(geo, 6) + 9 * g(geo, 6) * g(geo, 3)
}

/**
 * Input gradient of images [n0, n1): dx = full correlation of dy (padded by 2, so H + 2 by W + 2) with the flipped
 * filter wf[(a, b, oc), c] = wt[oc, (2-a, 2-b, c)]; C multiple of 8; scratch >= validInputScratch floats.
 */
export function backpropInputValid3x3(dy: usize, wt: usize, dx: usize, geo: usize, n0: i32, n1: i32,
  scratch: usize): void {
  const H = g(geo, 1), W = g(geo, 2), C = g(geo, 3), OH = g(geo, 4), OW = g(geo, 5), OC = g(geo, 6)
  const K = 9 * C
  const padFloats = (H + 2) * (W + 2) * OC
  const wf = scratch + (<usize>padFloats << 2)
  for (let t = 0; t < 9; t++) {
    for (let oc = 0; oc < OC; oc++) {
      copyF32(wf + (<usize>((t * OC + oc) * C) << 2), wt + (<usize>(oc * K + (8 - t) * C) << 2), C)
    }
  }
  // the border stays zero: only the OH x OW interior is written per image
  zeroF32(scratch, padFloats)
  const rowIn = OW * OC
  for (let n = n0; n < n1; n++) {
    const src = dy + (<usize>(n * OH * OW * OC) << 2)
    for (let h = 0; h < OH; h++) {
      copyF32(scratch + (<usize>(((h + 2) * (W + 2) + 2) * OC) << 2), src + (<usize>(h * rowIn) << 2), rowIn)
    }
    directImage(scratch, W, OC, 0, H * W, wf, <usize>C << 2, 3 * OC, 3, 1, (W + 2) * OC * 4, 0, 3 * OC * C * 4, 0,
      dx + (<usize>(n * H * W * C) << 2), C)
  }
}
