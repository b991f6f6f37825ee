import { fma4 } from './_vec'

/**
 * C[M,N] = (acc ? C : 0) + A·B, where A(r,k) lives at a + 4*(r*ars + k*aks), B(k,j) at b + 4*(k*ldb + j)
 * and C(r,j) at c + 4*(r*ldc + j). The two A strides let one routine serve A·B (ars=lda, aks=1) and
 * Aᵀ·B (ars=1, aks=lda), which is what the convolution gradients need.
 */
export function gemm(a: usize, ars: i32, aks: i32, b: usize, ldb: i32, c: usize, ldc: i32,
  M: i32, N: i32, K: i32, acc: i32): void {
  if (ASC_FEATURE_SIMD) gemmSimd(a, ars, aks, b, ldb, c, ldc, M, N, K, acc)
  else gemmScalar(a, ars, aks, b, ldb, c, ldc, M, N, K, acc)
}

function gemmScalar(a: usize, ars: i32, aks: i32, b: usize, ldb: i32, c: usize, ldc: i32,
  M: i32, N: i32, K: i32, acc: i32): void {
  for (let r = 0; r < M; r++) {
    const crow = c + (<usize>(r * ldc) << 2)
    if (!acc) for (let j = 0; j < N; j++) store<f32>(crow + (<usize>j << 2), 0)
    const arow = a + (<usize>(r * ars) << 2)
    for (let k = 0; k < K; k++) {
      const av = load<f32>(arow + (<usize>(k * aks) << 2))
      const brow = b + (<usize>(k * ldb) << 2)
      for (let j = 0; j < N; j++) {
        const p = crow + (<usize>j << 2)
        store<f32>(p, load<f32>(p) + av * load<f32>(brow + (<usize>j << 2)))
      }
    }
  }
}

function gemmSimd(a: usize, ars: i32, aks: i32, b: usize, ldb: i32, c: usize, ldc: i32,
  M: i32, N: i32, K: i32, acc: i32): void {
  const aStep = <usize>aks << 2
  const bStep = <usize>ldb << 2
  const rs = <usize>ars << 2
  const cs = <usize>ldc << 2
  let r = 0
  // 6x8 tiles: 12 accumulators + 2 B vectors + 1 splat fit the 16 vector registers of x64/arm64 engines. Two rows
  // left over (M = 32: a dense layer's batch) go with the last six as two 4-row tiles instead of two 1-row passes;
  // every output's sum is the same either way.
  const m6 = M % 6 == 2 && M >= 8 ? M - 8 : M
  for (; r + 6 <= m6; r += 6) {
    const a0 = a + (<usize>(r * ars) << 2)
    const c0 = c + (<usize>(r * ldc) << 2)
    let j = 0
    for (; j + 8 <= N; j += 8) {
      const cp = c0 + (<usize>j << 2)
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0)
      let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0)
      let c40 = f32x4.splat(0), c41 = f32x4.splat(0), c50 = f32x4.splat(0), c51 = f32x4.splat(0)
      if (acc) {
        c00 = v128.load(cp); c01 = v128.load(cp, 16)
        c10 = v128.load(cp + cs); c11 = v128.load(cp + cs, 16)
        c20 = v128.load(cp + 2 * cs); c21 = v128.load(cp + 2 * cs, 16)
        c30 = v128.load(cp + 3 * cs); c31 = v128.load(cp + 3 * cs, 16)
        c40 = v128.load(cp + 4 * cs); c41 = v128.load(cp + 4 * cs, 16)
        c50 = v128.load(cp + 5 * cs); c51 = v128.load(cp + 5 * cs, 16)
      }
      let ap = a0
      let bp = b + (<usize>j << 2)
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(bp)
        const b1 = v128.load(bp, 16)
        let x = v128.load32_splat(ap)
        c00 = fma4(x, b0, c00); c01 = fma4(x, b1, c01)
        x = v128.load32_splat(ap + rs)
        c10 = fma4(x, b0, c10); c11 = fma4(x, b1, c11)
        x = v128.load32_splat(ap + 2 * rs)
        c20 = fma4(x, b0, c20); c21 = fma4(x, b1, c21)
        x = v128.load32_splat(ap + 3 * rs)
        c30 = fma4(x, b0, c30); c31 = fma4(x, b1, c31)
        x = v128.load32_splat(ap + 4 * rs)
        c40 = fma4(x, b0, c40); c41 = fma4(x, b1, c41)
        x = v128.load32_splat(ap + 5 * rs)
        c50 = fma4(x, b0, c50); c51 = fma4(x, b1, c51)
        ap += aStep
        bp += bStep
      }
      v128.store(cp, c00); v128.store(cp, c01, 16)
      v128.store(cp + cs, c10); v128.store(cp + cs, c11, 16)
      v128.store(cp + 2 * cs, c20); v128.store(cp + 2 * cs, c21, 16)
      v128.store(cp + 3 * cs, c30); v128.store(cp + 3 * cs, c31, 16)
      v128.store(cp + 4 * cs, c40); v128.store(cp + 4 * cs, c41, 16)
      v128.store(cp + 5 * cs, c50); v128.store(cp + 5 * cs, c51, 16)
    }
    if (j < N) {
      // remaining columns: the 4-row code below on rows r..r+3 and r+4..r+5 via the 1-row path
      gemmSimdCols(a0, ars, aks, b, ldb, c0, ldc, 6, N, K, acc, j)
    }
  }
  for (; r + 4 <= M; r += 4) {
    const a0 = a + (<usize>(r * ars) << 2)
    const c0 = c + (<usize>(r * ldc) << 2)
    let j = 0
    for (; j + 8 <= N; j += 8) {
      const cp = c0 + (<usize>j << 2)
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0)
      let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0)
      if (acc) {
        c00 = v128.load(cp); c01 = v128.load(cp, 16)
        c10 = v128.load(cp + cs); c11 = v128.load(cp + cs, 16)
        c20 = v128.load(cp + 2 * cs); c21 = v128.load(cp + 2 * cs, 16)
        c30 = v128.load(cp + 3 * cs); c31 = v128.load(cp + 3 * cs, 16)
      }
      let ap = a0
      let bp = b + (<usize>j << 2)
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(bp)
        const b1 = v128.load(bp, 16)
        const x0 = v128.load32_splat(ap)
        const x1 = v128.load32_splat(ap + rs)
        const x2 = v128.load32_splat(ap + 2 * rs)
        const x3 = v128.load32_splat(ap + 3 * rs)
        c00 = fma4(x0, b0, c00); c01 = fma4(x0, b1, c01)
        c10 = fma4(x1, b0, c10); c11 = fma4(x1, b1, c11)
        c20 = fma4(x2, b0, c20); c21 = fma4(x2, b1, c21)
        c30 = fma4(x3, b0, c30); c31 = fma4(x3, b1, c31)
        ap += aStep
        bp += bStep
      }
      v128.store(cp, c00); v128.store(cp, c01, 16)
      v128.store(cp + cs, c10); v128.store(cp + cs, c11, 16)
      v128.store(cp + 2 * cs, c20); v128.store(cp + 2 * cs, c21, 16)
      v128.store(cp + 3 * cs, c30); v128.store(cp + 3 * cs, c31, 16)
    }
    for (; j + 4 <= N; j += 4) {
      const cp = c0 + (<usize>j << 2)
      let c00 = f32x4.splat(0), c10 = f32x4.splat(0), c20 = f32x4.splat(0), c30 = f32x4.splat(0)
      if (acc) {
        c00 = v128.load(cp); c10 = v128.load(cp + cs); c20 = v128.load(cp + 2 * cs); c30 = v128.load(cp + 3 * cs)
      }
      let ap = a0
      let bp = b + (<usize>j << 2)
      for (let k = 0; k < K; k++) {
        const b0 = v128.load(bp)
        c00 = fma4(v128.load32_splat(ap), b0, c00)
        c10 = fma4(v128.load32_splat(ap + rs), b0, c10)
        c20 = fma4(v128.load32_splat(ap + 2 * rs), b0, c20)
        c30 = fma4(v128.load32_splat(ap + 3 * rs), b0, c30)
        ap += aStep
        bp += bStep
      }
      v128.store(cp, c00); v128.store(cp + cs, c10); v128.store(cp + 2 * cs, c20); v128.store(cp + 3 * cs, c30)
    }
    for (; j < N; j++) {
      const cp = c0 + (<usize>j << 2)
      let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0
      if (acc) { s0 = load<f32>(cp); s1 = load<f32>(cp + cs); s2 = load<f32>(cp + 2 * cs); s3 = load<f32>(cp + 3 * cs) }
      let ap = a0
      let bp = b + (<usize>j << 2)
      for (let k = 0; k < K; k++) {
        const bv = load<f32>(bp)
        s0 += load<f32>(ap) * bv
        s1 += load<f32>(ap + rs) * bv
        s2 += load<f32>(ap + 2 * rs) * bv
        s3 += load<f32>(ap + 3 * rs) * bv
        ap += aStep
        bp += bStep
      }
      store<f32>(cp, s0); store<f32>(cp + cs, s1); store<f32>(cp + 2 * cs, s2); store<f32>(cp + 3 * cs, s3)
    }
  }
  for (; r < M; r++) {
    const a0 = a + (<usize>(r * ars) << 2)
    const c0 = c + (<usize>(r * ldc) << 2)
    let j = 0
    for (; j + 8 <= N; j += 8) {
      const cp = c0 + (<usize>j << 2)
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0)
      if (acc) { c00 = v128.load(cp); c01 = v128.load(cp, 16) }
      let ap = a0
      let bp = b + (<usize>j << 2)
      for (let k = 0; k < K; k++) {
        const x0 = v128.load32_splat(ap)
        c00 = fma4(x0, v128.load(bp), c00)
        c01 = fma4(x0, v128.load(bp, 16), c01)
        ap += aStep
        bp += bStep
      }
      v128.store(cp, c00); v128.store(cp, c01, 16)
    }
    for (; j + 4 <= N; j += 4) {
      const cp = c0 + (<usize>j << 2)
      let c00 = acc ? v128.load(cp) : f32x4.splat(0)
      let ap = a0
      let bp = b + (<usize>j << 2)
      for (let k = 0; k < K; k++) {
        c00 = fma4(v128.load32_splat(ap), v128.load(bp), c00)
        ap += aStep
        bp += bStep
      }
      v128.store(cp, c00)
    }
    for (; j < N; j++) {
      const cp = c0 + (<usize>j << 2)
      let s0: f32 = acc ? load<f32>(cp) : 0
      let ap = a0
      let bp = b + (<usize>j << 2)
      for (let k = 0; k < K; k++) {
        s0 += load<f32>(ap) * load<f32>(bp)
        ap += aStep
        bp += bStep
      }
      store<f32>(cp, s0)
    }
  }
}

/** Exported for MatMul: C[M,N] = A[M,K]·B[K,N] with explicit strides (see gemm). */
export function gemm_f32(a: usize, ars: i32, aks: i32, b: usize, ldb: i32, c: usize, ldc: i32,
  M: i32, N: i32, K: i32, acc: i32): void {
  gemm(a, ars, aks, b, ldb, c, ldc, M, N, K, acc)
}

/** Columns [j0, N) of a block of `rows` rows (tails of the 6x8 tiles), one row at a time. */
function gemmSimdCols(a: usize, ars: i32, aks: i32, b: usize, ldb: i32, c: usize, ldc: i32,
  rows: i32, N: i32, K: i32, acc: i32, j0: i32): void {
  for (let r = 0; r < rows; r++) {
    gemmSimd(a + (<usize>(r * ars) << 2), ars, aks, b + (<usize>j0 << 2), ldb, c + (<usize>(r * ldc + j0) << 2), ldc, 1, N - j0, K, acc)
  }
}
