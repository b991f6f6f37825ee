// Winograd convolution for stride-1 3x3 layers (the fused trainer's 'same' and 'valid' ones; Lavin & Gray 2016):
// - forward and input gradient by F(4x4, 3x3): each 4x4 block of outputs (a tile) is Aᵀ [Σ_c U ⊙ V] A with
//   V = Bᵀ d B of its 6x6 input patch d and U = G g Gᵀ of each filter g: 36 multiply-adds per input channel make 16
//   outputs instead of 144. The input gradient is the same convolution of dy with the filters rotated by 180°
//   (channels swapped, padding 2 - pad).
// - filter gradient by F(2x2, 3x3): dg = Gᵀ [Σ_tiles V ⊙ (A dY Aᵀ)] G over 2x2 output tiles (4x4 input patches):
//   16 multiply-adds per (input, output) channel pair make a tile's share of 36.
// The sums over channels (or tiles) are 36 or 16 small GEMMs (tiles x C by C x OC, or C x tiles by tiles x OC); the
// transforms are additions over 4-channel vectors.
//
// Every output's sums run in a fixed order (the GEMM's per-output chain over channels, or over the tiles of one
// fixed range for the filter gradient), whatever the split into blocks or threads: results do not depend on the
// thread count. SIMD builds only (C and OC multiples of 4); the host uses the direct kernels elsewhere.
//
// Geometry: the conv geometry block (assembly/_im2col.ts): H, W, C the input, OH, OW, OC the output, pt the padding
// before the first row and column (the same on both axes). Scratch per call: src/fused/winograd.ts (convScratch,
// filterScratch).
import { copyF32, fma4, zeroF32 } from './_vec'
import { g } from './_im2col'

/** Offset of U[c][k] within one ξ's packed K x N matrix (N output channels, a multiple of 4). */
// @ts-ignore: decorator
@inline function packedIndex(c: i32, k: i32, K: i32, N: i32): i32 {
  const full = N & ~7
  return k < full ? (k & ~7) * K + c * 8 + (k & 7) : full * K + c * 4 + (k - full)
}

/**
 * The filter gradient of the stride-1 3x3 convolution over images [n0, n1), by F(2x2, 3x3):
 * dw [3, 3, C, OC] = Gᵀ [Σ_tiles V ⊙ (A dY Aᵀ)] G,
 * the sum over the range's tiles in order (the host's reduction parts are fixed ranges).
 */
export function winograd_filter_grad_f32(x: usize, dy: usize, dw: usize, geo: usize, n0: i32, n1: i32, scratch: usize,
  T: i32): void {
  if (ASC_FEATURE_SIMD) filterGradTiles(x, dy, dw, geo, n0, n1, scratch, T)
}

function filterGradTiles(x: usize, dy: usize, dw: usize, geo: usize, n0: i32, n1: i32, scratch: usize, T: i32): void {
  const H = g(geo, 1), W = g(geo, 2), C = g(geo, 3), OH = g(geo, 4), OW = g(geo, 5), OC = g(geo, 6), pad = g(geo, 11)
  const TH = (OH + 1) >> 1, TW = (OW + 1) >> 1
  const per = TH * TW
  const vs = scratch
  const ms = vs + (<usize>(16 * xiFloats(T, C)) << 2)
  const du = ms + (<usize>(16 * xiFloats(T, OC)) << 2)
  const padded = du + (<usize>(16 * uPlane(C, OC)) << 2)
  const vStep = <usize>xiFloats(T, C) << 2, uStep = <usize>uPlane(C, OC) << 2, mStep = <usize>xiFloats(T, OC) << 2
  const Wp = 2 * TW + 2
  zeroF32(padded, (2 * TH + 2) * Wp * C)
  zeroF32(du, 16 * uPlane(C, OC))
  for (let n = n0; n < n1; n++) {
    padImage(x + (<usize>(n * H * W * C) << 2), H, W, C, pad, Wp, padded)
    const grad = dy + (<usize>(n * OH * OW * OC) << 2)
    for (let r0 = 0; r0 < per; r0 += T) {
      const nt = r0 + T < per ? T : per - r0
      inputTiles(padded, vs, Wp, C, TW, r0, nt, T)
      gradTiles(grad, ms, OH, OW, OC, TW, r0, nt, T)
      for (let xi = 0; xi < 16; xi++) {
        // dU[c][k] += Σ_t V[t][c]·dM[t][k]
        gemmTransposedA(vs + <usize>xi * vStep, C, ms + <usize>xi * mStep, OC, du + <usize>xi * uStep, nt)
      }
    }
  }
  filterFromU(du, uStep, dw, C * OC)
}

/**
 * Floats from one ξ's packed C x OC filter transforms to the next (36 of them): one cache line more, so that the 36
 * values of a filter are not 4 KiB apart (C·OC = 1024) when winograd_weights_f32 writes them.
 */
// @ts-ignore: decorator
@inline function uPlane(C: i32, OC: i32): i32 {
  // (also the filter gradient's 16 planes of sums)
  return C * OC + 16
}

/**
 * Floats from one ξ's [T][C] block of transforms to the next: one cache line more than the block, so that the 16
 * blocks (read or written together by every transform) do not fall into the same few cache sets, nor 4 KiB apart from
 * each other (store-to-load aliasing), whatever T and C.
 */
// @ts-ignore: decorator
@inline function xiFloats(T: i32, C: i32): i32 {
  return T * C + 16
}

/**
 * One image [H, W, C] into rows pad .. pad + H - 1, columns pad .. of the zero-bordered [.., Wp, C] block (whose
 * border the caller zeroed once: only the image's own pixels are written), so every tile's patch is inside it.
 */
function padImage(x: usize, H: i32, W: i32, C: i32, pad: i32, Wp: i32, dst: usize): void {
  const rowFloats = W * C
  for (let ih = 0; ih < H; ih++) {
    copyF32(dst + (<usize>(((ih + pad) * Wp + pad) * C) << 2), x + (<usize>(ih * rowFloats) << 2), rowFloats)
  }
}

/** V = Bᵀ d B of an image's tiles [r0, r0 + nt) (row-major over TW tiles per row) into vs [16][T][C]. */
function inputTiles(padded: usize, vs: usize, Wp: i32, C: i32, TW: i32, r0: i32, nt: i32, T: i32): void {
  const px = <usize>C << 2
  const row = <usize>(Wp * C) << 2
  const xiStep = <usize>xiFloats(T, C) << 2
  let th = r0 / TW
  let tw = r0 - th * TW
  for (let tb = 0; tb < nt; tb++) {
    const src = padded + <usize>(2 * th) * row + <usize>(2 * tw) * px
    const dst = vs + (<usize>(tb * C) << 2)
    for (let c = 0; c < C; c += 4) transformInput(src + (<usize>c << 2), row, px, dst + (<usize>c << 2), xiStep)
    if (++tw == TW) { tw = 0; th++ }
  }
}

/** One 4-channel group of V = Bᵀ d B: d[i][j] at p + i·rs + j·cs, V[ξ] at q + ξ·qs. */
// @ts-ignore: decorator
@inline function transformInput(p: usize, rs: usize, cs: usize, q: usize, qs: usize): void {
  // d B per row (e0 = d0 - d2, e1 = d1 + d2, e2 = d2 - d1, e3 = d1 - d3), then Bᵀ (same combination of the rows)
  let a0 = v128.load(p), a1 = v128.load(p + cs), a2 = v128.load(p + 2 * cs), a3 = v128.load(p + 3 * cs)
  const e00 = f32x4.sub(a0, a2), e01 = f32x4.add(a1, a2), e02 = f32x4.sub(a2, a1), e03 = f32x4.sub(a1, a3)
  p += rs
  a0 = v128.load(p); a1 = v128.load(p + cs); a2 = v128.load(p + 2 * cs); a3 = v128.load(p + 3 * cs)
  const e10 = f32x4.sub(a0, a2), e11 = f32x4.add(a1, a2), e12 = f32x4.sub(a2, a1), e13 = f32x4.sub(a1, a3)
  p += rs
  a0 = v128.load(p); a1 = v128.load(p + cs); a2 = v128.load(p + 2 * cs); a3 = v128.load(p + 3 * cs)
  const e20 = f32x4.sub(a0, a2), e21 = f32x4.add(a1, a2), e22 = f32x4.sub(a2, a1), e23 = f32x4.sub(a1, a3)
  p += rs
  a0 = v128.load(p); a1 = v128.load(p + cs); a2 = v128.load(p + 2 * cs); a3 = v128.load(p + 3 * cs)
  const e30 = f32x4.sub(a0, a2), e31 = f32x4.add(a1, a2), e32 = f32x4.sub(a2, a1), e33 = f32x4.sub(a1, a3)
  v128.store(q, f32x4.sub(e00, e20)); v128.store(q + qs, f32x4.sub(e01, e21))
  v128.store(q + 2 * qs, f32x4.sub(e02, e22)); v128.store(q + 3 * qs, f32x4.sub(e03, e23))
  v128.store(q + 4 * qs, f32x4.add(e10, e20)); v128.store(q + 5 * qs, f32x4.add(e11, e21))
  v128.store(q + 6 * qs, f32x4.add(e12, e22)); v128.store(q + 7 * qs, f32x4.add(e13, e23))
  v128.store(q + 8 * qs, f32x4.sub(e20, e10)); v128.store(q + 9 * qs, f32x4.sub(e21, e11))
  v128.store(q + 10 * qs, f32x4.sub(e22, e12)); v128.store(q + 11 * qs, f32x4.sub(e23, e13))
  v128.store(q + 12 * qs, f32x4.sub(e10, e30)); v128.store(q + 13 * qs, f32x4.sub(e11, e31))
  v128.store(q + 14 * qs, f32x4.sub(e12, e32)); v128.store(q + 15 * qs, f32x4.sub(e13, e33))
}

/** dM = A dY Aᵀ of tiles [t0, t0 + nt) into ms [16][T][OC] (dY past OH / OW is zero). */
function gradTiles(dy: usize, ms: usize, OH: i32, OW: i32, OC: i32, TW: i32, r0: i32, nt: i32, T: i32): void {
  const px = <usize>OC << 2
  const row = <usize>(OW * OC) << 2
  const qs = <usize>xiFloats(T, OC) << 2
  const zero = f32x4.splat(0)
  let th = r0 / TW
  let tw = r0 - th * TW
  for (let tb = 0; tb < nt; tb++, tw++) {
    if (tw == TW) { tw = 0; th++ }
    const oh = 2 * th, ow = 2 * tw
    const down = oh + 1 < OH, right = ow + 1 < OW
    const src = dy + (<usize>((oh * OW + ow) * OC) << 2)
    const dst = ms + (<usize>(tb * OC) << 2)
    for (let k = 0; k < OC; k += 4) {
      const p = src + (<usize>k << 2)
      const y00 = v128.load(p)
      const y01 = right ? v128.load(p + px) : zero
      const y10 = down ? v128.load(p + row) : zero
      const y11 = down && right ? v128.load(p + row + px) : zero
      // per row of dY: h = [y0, y0 + y1, y0 - y1, -y1]; then the same over the two rows
      const h00 = y00, h01 = f32x4.add(y00, y01), h02 = f32x4.sub(y00, y01), h03 = f32x4.neg(y01)
      const h10 = y10, h11 = f32x4.add(y10, y11), h12 = f32x4.sub(y10, y11), h13 = f32x4.neg(y11)
      const q = dst + (<usize>k << 2)
      v128.store(q, h00); v128.store(q + qs, h01); v128.store(q + 2 * qs, h02); v128.store(q + 3 * qs, h03)
      v128.store(q + 4 * qs, f32x4.add(h00, h10)); v128.store(q + 5 * qs, f32x4.add(h01, h11))
      v128.store(q + 6 * qs, f32x4.add(h02, h12)); v128.store(q + 7 * qs, f32x4.add(h03, h13))
      v128.store(q + 8 * qs, f32x4.sub(h00, h10)); v128.store(q + 9 * qs, f32x4.sub(h01, h11))
      v128.store(q + 10 * qs, f32x4.sub(h02, h12)); v128.store(q + 11 * qs, f32x4.sub(h03, h13))
      v128.store(q + 12 * qs, f32x4.neg(h10)); v128.store(q + 13 * qs, f32x4.neg(h11))
      v128.store(q + 14 * qs, f32x4.neg(h12)); v128.store(q + 15 * qs, f32x4.neg(h13))
    }
  }
}

/** dw [3][3][taps] = Gᵀ dU G from du [16][..] (planes `s` bytes apart), 4 taps (of C·OC, a multiple of 16) at a time. */
function filterFromU(du: usize, s: usize, dw: usize, taps: i32): void {
  const ws = <usize>taps << 2
  const half = f32x4.splat(0.5)
  for (let i = 0; i < taps; i += 4) {
    const p = du + (<usize>i << 2)
    // per row of dU: q0 = u0 + (u1 + u2)/2, q1 = (u1 - u2)/2, q2 = (u1 + u2)/2 + u3
    let u1 = v128.load(p + s), u2 = v128.load(p + 2 * s)
    let sp = f32x4.mul(f32x4.add(u1, u2), half)
    const q00 = f32x4.add(v128.load(p), sp), q01 = f32x4.mul(f32x4.sub(u1, u2), half)
    const q02 = f32x4.add(sp, v128.load(p + 3 * s))
    u1 = v128.load(p + 5 * s); u2 = v128.load(p + 6 * s)
    sp = f32x4.mul(f32x4.add(u1, u2), half)
    const q10 = f32x4.add(v128.load(p + 4 * s), sp), q11 = f32x4.mul(f32x4.sub(u1, u2), half)
    const q12 = f32x4.add(sp, v128.load(p + 7 * s))
    u1 = v128.load(p + 9 * s); u2 = v128.load(p + 10 * s)
    sp = f32x4.mul(f32x4.add(u1, u2), half)
    const q20 = f32x4.add(v128.load(p + 8 * s), sp), q21 = f32x4.mul(f32x4.sub(u1, u2), half)
    const q22 = f32x4.add(sp, v128.load(p + 11 * s))
    u1 = v128.load(p + 13 * s); u2 = v128.load(p + 14 * s)
    sp = f32x4.mul(f32x4.add(u1, u2), half)
    const q30 = f32x4.add(v128.load(p + 12 * s), sp), q31 = f32x4.mul(f32x4.sub(u1, u2), half)
    const q32 = f32x4.add(sp, v128.load(p + 15 * s))
    const o = dw + (<usize>i << 2)
    filterRow(o, ws, q00, q10, q20, q30, half)
    filterRow(o + ws, ws, q01, q11, q21, q31, half)
    filterRow(o + 2 * ws, ws, q02, q12, q22, q32, half)
  }
}

/** Column b of dg = Gᵀ q: dg[0][b], dg[1][b], dg[2][b] at o, o + 3s, o + 6s. */
// @ts-ignore: decorator
@inline function filterRow(o: usize, s: usize, q0: v128, q1: v128, q2: v128, q3: v128, half: v128): void {
  const sp = f32x4.mul(f32x4.add(q1, q2), half)
  v128.store(o, f32x4.add(q0, sp))
  v128.store(o + 3 * s, f32x4.mul(f32x4.sub(q1, q2), half))
  v128.store(o + 6 * s, f32x4.add(sp, q3))
}

/**
 * m[rows, N] = v[rows, K]·U for U in the packed order of winograd_weights_f32 (rows and N multiples of 4, K a multiple
 * of 4): 4x8 register tiles whose loads all have fixed offsets from three moving pointers (AssemblyScript takes load
 * offsets only as literals), four k at a time. Each output is one multiply-add chain over k in order.
 */
function gemmPacked(v: usize, K: i32, u: usize, m: usize, N: i32, rows: i32): void {
  const rs = <usize>K << 2
  const cs = <usize>N << 2
  const full = N & ~7
  for (let r = 0; r < rows; r += 4) {
    const a = v + <usize>r * rs
    const out = m + <usize>r * cs
    let j = 0
    for (; j < full; j += 8) {
      let a0 = a, a1 = a + rs, a2 = a + 2 * rs, a3 = a + 3 * rs
      let bp = u + (<usize>(j * K) << 2)
      const end = a0 + rs
      let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0)
      let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0)
      for (; a0 < end; a0 += 16, a1 += 16, a2 += 16, a3 += 16, bp += 128) {
        let b0 = v128.load(bp), b1 = v128.load(bp, 16)
        let x0 = v128.load32_splat(a0), x1 = v128.load32_splat(a1)
        let x2 = v128.load32_splat(a2), x3 = v128.load32_splat(a3)
        c00 = fma4(x0, b0, c00); c01 = fma4(x0, b1, c01); c10 = fma4(x1, b0, c10); c11 = fma4(x1, b1, c11)
        c20 = fma4(x2, b0, c20); c21 = fma4(x2, b1, c21); c30 = fma4(x3, b0, c30); c31 = fma4(x3, b1, c31)
        b0 = v128.load(bp, 32); b1 = v128.load(bp, 48)
        x0 = v128.load32_splat(a0, 4); x1 = v128.load32_splat(a1, 4)
        x2 = v128.load32_splat(a2, 4); x3 = v128.load32_splat(a3, 4)
        c00 = fma4(x0, b0, c00); c01 = fma4(x0, b1, c01); c10 = fma4(x1, b0, c10); c11 = fma4(x1, b1, c11)
        c20 = fma4(x2, b0, c20); c21 = fma4(x2, b1, c21); c30 = fma4(x3, b0, c30); c31 = fma4(x3, b1, c31)
        b0 = v128.load(bp, 64); b1 = v128.load(bp, 80)
        x0 = v128.load32_splat(a0, 8); x1 = v128.load32_splat(a1, 8)
        x2 = v128.load32_splat(a2, 8); x3 = v128.load32_splat(a3, 8)
        c00 = fma4(x0, b0, c00); c01 = fma4(x0, b1, c01); c10 = fma4(x1, b0, c10); c11 = fma4(x1, b1, c11)
        c20 = fma4(x2, b0, c20); c21 = fma4(x2, b1, c21); c30 = fma4(x3, b0, c30); c31 = fma4(x3, b1, c31)
        b0 = v128.load(bp, 96); b1 = v128.load(bp, 112)
        x0 = v128.load32_splat(a0, 12); x1 = v128.load32_splat(a1, 12)
        x2 = v128.load32_splat(a2, 12); x3 = v128.load32_splat(a3, 12)
        c00 = fma4(x0, b0, c00); c01 = fma4(x0, b1, c01); c10 = fma4(x1, b0, c10); c11 = fma4(x1, b1, c11)
        c20 = fma4(x2, b0, c20); c21 = fma4(x2, b1, c21); c30 = fma4(x3, b0, c30); c31 = fma4(x3, b1, c31)
      }
      const o = out + (<usize>j << 2)
      v128.store(o, c00); v128.store(o, c01, 16)
      v128.store(o + cs, c10); v128.store(o + cs, c11, 16)
      v128.store(o + 2 * cs, c20); v128.store(o + 2 * cs, c21, 16)
      v128.store(o + 3 * cs, c30); v128.store(o + 3 * cs, c31, 16)
    }
    if (j < N) {
      let a0 = a, a1 = a + rs, a2 = a + 2 * rs, a3 = a + 3 * rs
      let bp = u + (<usize>(j * K) << 2)
      const end = a0 + rs
      let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0)
      for (; a0 < end; a0 += 4, a1 += 4, a2 += 4, a3 += 4, bp += 16) {
        const b0 = v128.load(bp)
        c0 = fma4(v128.load32_splat(a0), b0, c0); c1 = fma4(v128.load32_splat(a1), b0, c1)
        c2 = fma4(v128.load32_splat(a2), b0, c2); c3 = fma4(v128.load32_splat(a3), b0, c3)
      }
      const o = out + (<usize>j << 2)
      v128.store(o, c0); v128.store(o + cs, c1); v128.store(o + 2 * cs, c2); v128.store(o + 3 * cs, c3)
    }
  }
}

/**
 * du[K, N] += v[T, K]ᵀ·m[T, N] over t < nt (K, N multiples of 4): 4x8 register tiles, rows k .. k + 3 of vᵀ are
 * consecutive floats of each v row (fixed load offsets). Each output is one multiply-add chain over t in order.
 */
function gemmTransposedA(v: usize, K: i32, m: usize, N: i32, du: usize, nt: i32): void {
  const rs = <usize>K << 2
  const cs = <usize>N << 2
  for (let k = 0; k < K; k += 4) {
    const o0 = du + <usize>k * cs
    let j = 0
    for (; j + 8 <= N; j += 8) {
      const o = o0 + (<usize>j << 2)
      let c00 = v128.load(o), c01 = v128.load(o, 16)
      let c10 = v128.load(o + cs), c11 = v128.load(o + cs, 16)
      let c20 = v128.load(o + 2 * cs), c21 = v128.load(o + 2 * cs, 16)
      let c30 = v128.load(o + 3 * cs), c31 = v128.load(o + 3 * cs, 16)
      let ap = v + (<usize>k << 2)
      let bp = m + (<usize>j << 2)
      const end = ap + <usize>nt * rs
      for (; ap < end; ap += rs, bp += cs) {
        const b0 = v128.load(bp), b1 = v128.load(bp, 16)
        let x = v128.load32_splat(ap)
        c00 = fma4(x, b0, c00); c01 = fma4(x, b1, c01)
        x = v128.load32_splat(ap, 4)
        c10 = fma4(x, b0, c10); c11 = fma4(x, b1, c11)
        x = v128.load32_splat(ap, 8)
        c20 = fma4(x, b0, c20); c21 = fma4(x, b1, c21)
        x = v128.load32_splat(ap, 12)
        c30 = fma4(x, b0, c30); c31 = fma4(x, b1, c31)
      }
      v128.store(o, c00); v128.store(o, c01, 16)
      v128.store(o + cs, c10); v128.store(o + cs, c11, 16)
      v128.store(o + 2 * cs, c20); v128.store(o + 2 * cs, c21, 16)
      v128.store(o + 3 * cs, c30); v128.store(o + 3 * cs, c31, 16)
    }
    if (j < N) {
      const o = o0 + (<usize>j << 2)
      let c0 = v128.load(o), c1 = v128.load(o + cs), c2 = v128.load(o + 2 * cs), c3 = v128.load(o + 3 * cs)
      let ap = v + (<usize>k << 2)
      let bp = m + (<usize>j << 2)
      const end = ap + <usize>nt * rs
      for (; ap < end; ap += rs, bp += cs) {
        const b0 = v128.load(bp)
        c0 = fma4(v128.load32_splat(ap), b0, c0); c1 = fma4(v128.load32_splat(ap, 4), b0, c1)
        c2 = fma4(v128.load32_splat(ap, 8), b0, c2); c3 = fma4(v128.load32_splat(ap, 12), b0, c3)
      }
      v128.store(o, c0); v128.store(o + cs, c1); v128.store(o + 2 * cs, c2); v128.store(o + 3 * cs, c3)
    }
  }
}

// ---- F(4x4, 3x3): 6x6 input patches at stride 4. Per block of T tiles: the 36 transforms of the input, 36 GEMMs,
// the outputs.
// Lavin & Gray's matrices (interpolation points 0, ±1, ±2, ∞): Bᵀ rows [4 0 -5 0 1 0], [0 -4 -4 1 1 0],
// [0 4 -4 -1 1 0], [0 -2 -1 2 1 0], [0 2 -1 -2 1 0], [0 4 0 -5 0 1]; G rows [1/4 0 0], -[1 1 1]/6, -[1 -1 1]/6,
// [1/24 1/12 1/6], [1/24 -1/12 1/6], [0 0 1]; Aᵀ rows [1 1 1 1 1 0], [0 1 -1 2 -2 0], [0 1 1 4 4 0], [0 1 -1 8 -8 1].

/**
 * U = G g Gᵀ (6x6, computed in f64) of every 3x3 filter of w [3, 3, C, OC] into u [36][uPlane] in the GEMM's packed
 * order (packedIndex: for each ξ, blocks of 8 output channels, or 4 for the last when OC is not a multiple of 8, each
 * [C][8]); with `flip`, of the filter rotated by 180° with the channels swapped (the input gradient's convolution:
 * dy has OC channels, dx C).
 */
export function winograd_weights_f32(w: usize, u: usize, C: i32, OC: i32, flip: i32): void {
  const tb = <usize>(C * OC) << 2
  const ub = <usize>uPlane(C, OC) << 2
  for (let c = 0; c < C; c++) {
    for (let k = 0; k < OC; k++) {
      const p = w + (<usize>(c * OC + k) << 2)
      // the filter's rows (rotated by 180° with `flip`): g[a][b] = ga_b
      let g00 = <f64>load<f32>(p), g01 = <f64>load<f32>(p + tb), g02 = <f64>load<f32>(p + 2 * tb)
      let g10 = <f64>load<f32>(p + 3 * tb), g11 = <f64>load<f32>(p + 4 * tb), g12 = <f64>load<f32>(p + 5 * tb)
      let g20 = <f64>load<f32>(p + 6 * tb), g21 = <f64>load<f32>(p + 7 * tb), g22 = <f64>load<f32>(p + 8 * tb)
      if (flip) {
        let t = g00; g00 = g22; g22 = t
        t = g01; g01 = g21; g21 = t
        t = g02; g02 = g20; g20 = t
        t = g10; g10 = g12; g12 = t
      }
      const o = u + (<usize>(flip ? packedIndex(k, c, OC, C) : packedIndex(c, k, C, OC)) << 2)
      // (G g) per column b, then each of its 6 rows times Gᵀ
      const s = o + 6 * ub
      filterRow4(o, ub, 0.25 * g00, 0.25 * g01, 0.25 * g02)
      filterRow4(s, ub, -SIXTH * (g00 + g10 + g20), -SIXTH * (g01 + g11 + g21), -SIXTH * (g02 + g12 + g22))
      filterRow4(s + 6 * ub, ub, -SIXTH * (g00 - g10 + g20), -SIXTH * (g01 - g11 + g21), -SIXTH * (g02 - g12 + g22))
      filterRow4(s + 12 * ub, ub, g00 * W24 + g10 * W12 + g20 * SIXTH, g01 * W24 + g11 * W12 + g21 * SIXTH, g02 * W24 + g12 * W12 + g22 * SIXTH)
      filterRow4(s + 18 * ub, ub, g00 * W24 - g10 * W12 + g20 * SIXTH, g01 * W24 - g11 * W12 + g21 * SIXTH, g02 * W24 - g12 * W12 + g22 * SIXTH)
      filterRow4(s + 24 * ub, ub, g20, g21, g22)
    }
  }
}

// G's fractions (in f64: U is rounded to f32 once, from these)
const SIXTH: f64 = 1.0 / 6.0
const W12: f64 = 1.0 / 12.0
const W24: f64 = 1.0 / 24.0

/** One row (ξ = 6i .. 6i + 5, at q, q + ub, ...) of U = (G g) Gᵀ from row i of G g, rounded to f32. */
// @ts-ignore: decorator
@inline function filterRow4(q: usize, ub: usize, a: f64, b: f64, c: f64): void {
  store<f32>(q, <f32>(0.25 * a))
  store<f32>(q + ub, <f32>(-SIXTH * (a + b + c)))
  store<f32>(q + 2 * ub, <f32>(-SIXTH * (a - b + c)))
  store<f32>(q + 3 * ub, <f32>(a * W24 + b * W12 + c * SIXTH))
  store<f32>(q + 4 * ub, <f32>(a * W24 - b * W12 + c * SIXTH))
  store<f32>(q + 5 * ub, <f32>c)
}

/**
 * y for images [n0, n1) of the stride-1 3x3 convolution of x with the filters whose transforms are u
 * (winograd_weights_f32), by F(4x4, 3x3), blocks of T tiles (a multiple of 4) at a time. The host splits threads by
 * image.
 */
export function winograd_conv_f32(x: usize, u: usize, y: usize, geo: usize, n0: i32, n1: i32, scratch: usize, T: i32): void {
  if (ASC_FEATURE_SIMD) conv4Tiles(x, u, y, geo, n0, n1, scratch, T)
}

function conv4Tiles(x: usize, u: usize, y: usize, geo: usize, n0: i32, n1: i32, scratch: usize, T: i32): void {
  const H = g(geo, 1), W = g(geo, 2), C = g(geo, 3), OH = g(geo, 4), OW = g(geo, 5), OC = g(geo, 6), pad = g(geo, 11)
  const TH = (OH + 3) >> 2, TW = (OW + 3) >> 2
  const per = TH * TW
  const vs = scratch
  const ms = vs + (<usize>(36 * xiFloats(T, C)) << 2)
  const tmp = ms + (<usize>(36 * xiFloats(T, OC)) << 2)
  const padded = tmp + 48 * 16
  const vStep = <usize>xiFloats(T, C) << 2, uStep = <usize>uPlane(C, OC) << 2, mStep = <usize>xiFloats(T, OC) << 2
  const Wp = 4 * TW + 2
  zeroF32(padded, (4 * TH + 2) * Wp * C)
  for (let n = n0; n < n1; n++) {
    padImage(x + (<usize>(n * H * W * C) << 2), H, W, C, pad, Wp, padded)
    const out = y + (<usize>(n * OH * OW * OC) << 2)
    for (let r0 = 0; r0 < per; r0 += T) {
      const nt = r0 + T < per ? T : per - r0
      input4Tiles(padded, vs, tmp, Wp, C, TW, r0, nt, T)
      const rows = (nt + 3) & ~3
      for (let xi = 0; xi < 36; xi++) {
        gemmPacked(vs + <usize>xi * vStep, C, u + <usize>xi * uStep, ms + <usize>xi * mStep, OC, rows)
      }
      output4Tiles(ms, out, tmp, OH, OW, OC, TW, r0, nt, T)
    }
  }
}

/** V = Bᵀ d B (6x6) of an image's tiles [r0, r0 + nt) into vs [36][..]: rows into tmp, then columns. */
function input4Tiles(padded: usize, vs: usize, tmp: usize, Wp: i32, C: i32, TW: i32, r0: i32, nt: i32, T: i32): void {
  const px = <usize>C << 2
  const row = <usize>(Wp * C) << 2
  const qs = <usize>xiFloats(T, C) << 2
  let th = r0 / TW
  let tw = r0 - th * TW
  for (let tb = 0; tb < nt; tb++) {
    const src = padded + <usize>(4 * th) * row + <usize>(4 * tw) * px
    const dst = vs + (<usize>(tb * C) << 2)
    for (let c = 0; c < C; c += 4) {
      const off = <usize>c << 2
      // d B: each row of the patch into tmp [6][6] (vectors)
      for (let i = 0; i < 6; i++) {
        const p = src + <usize>i * row + off
        inputRow4(v128.load(p), v128.load(p + px), v128.load(p + 2 * px), v128.load(p + 3 * px), v128.load(p + 4 * px),
          v128.load(p + 5 * px), tmp + (<usize>(6 * i) << 4), 16)
      }
      // Bᵀ (d B): each column of tmp into V[ξ = 6i + j]
      for (let j = 0; j < 6; j++) {
        const p = tmp + (<usize>j << 4)
        inputRow4(v128.load(p), v128.load(p, 96), v128.load(p, 192), v128.load(p, 288), v128.load(p, 384),
          v128.load(p, 480), dst + off + <usize>j * qs, 6 * qs)
      }
    }
    if (++tw == TW) { tw = 0; th++ }
  }
}

/** The 1-D input transform Bᵀ d of 6 vectors, stored at q, q + s, ... q + 5s. */
// @ts-ignore: decorator
@inline function inputRow4(d0: v128, d1: v128, d2: v128, d3: v128, d4: v128, d5: v128, q: usize, s: usize): void {
  const four = f32x4.splat(4), five = f32x4.splat(5), two = f32x4.splat(2)
  const a = f32x4.sub(d4, f32x4.mul(four, d2)), b = f32x4.sub(d3, f32x4.mul(four, d1))
  const c = f32x4.sub(d4, d2), e = f32x4.mul(two, f32x4.sub(d3, d1))
  v128.store(q, f32x4.add(f32x4.sub(f32x4.mul(four, d0), f32x4.mul(five, d2)), d4))
  v128.store(q + s, f32x4.add(a, b))
  v128.store(q + 2 * s, f32x4.sub(a, b))
  v128.store(q + 3 * s, f32x4.add(c, e))
  v128.store(q + 4 * s, f32x4.sub(c, e))
  v128.store(q + 5 * s, f32x4.add(f32x4.sub(f32x4.mul(four, d1), f32x4.mul(five, d3)), d5))
}

/** y = Aᵀ M A (4x4) of tiles [r0, r0 + nt) from ms [36][..]; outputs past OH / OW are not written. */
function output4Tiles(ms: usize, y: usize, tmp: usize, OH: i32, OW: i32, OC: i32, TW: i32, r0: i32, nt: i32, T: i32): void {
  const px = <usize>OC << 2
  const row = <usize>(OW * OC) << 2
  const qs = <usize>xiFloats(T, OC) << 2
  let th = r0 / TW
  let tw = r0 - th * TW
  for (let tb = 0; tb < nt; tb++, tw++) {
    if (tw == TW) { tw = 0; th++ }
    const oh = 4 * th, ow = 4 * tw
    const down = OH - oh < 4 ? OH - oh : 4, right = OW - ow < 4 ? OW - ow : 4
    const out = y + (<usize>((oh * OW + ow) * OC) << 2)
    const src = ms + (<usize>(tb * OC) << 2)
    for (let k = 0; k < OC; k += 4) {
      const off = <usize>k << 2
      // M A: each row of M (ξ = 6i .. 6i + 5) into tmp [6][4]
      for (let i = 0; i < 6; i++) {
        const p = src + off + <usize>(6 * i) * qs
        outputRow4(v128.load(p), v128.load(p + qs), v128.load(p + 2 * qs), v128.load(p + 3 * qs), v128.load(p + 4 * qs),
          v128.load(p + 5 * qs), tmp + (<usize>(4 * i) << 4), 16)
      }
      if (down == 4 && right == 4) {
        for (let b = 0; b < 4; b++) {
          const p = tmp + (<usize>b << 4)
          outputRow4(v128.load(p), v128.load(p, 64), v128.load(p, 128), v128.load(p, 192), v128.load(p, 256),
            v128.load(p, 320), out + off + <usize>b * px, row)
        }
      } else {
        // an edge tile: all 16 into tmp [24..40) ([a][b]), then the ones inside the output
        const edge = tmp + 24 * 16
        for (let b = 0; b < 4; b++) {
          const p = tmp + (<usize>b << 4)
          outputRow4(v128.load(p), v128.load(p, 64), v128.load(p, 128), v128.load(p, 192), v128.load(p, 256),
            v128.load(p, 320), edge + (<usize>b << 4), 64)
        }
        for (let a = 0; a < down; a++) {
          for (let b = 0; b < right; b++) {
            v128.store(out + off + <usize>a * row + <usize>b * px, v128.load(edge + (<usize>(4 * a + b) << 4)))
          }
        }
      }
    }
  }
}

/** The 1-D output transform Aᵀ m of 6 vectors, stored at q, q + s, q + 2s, q + 3s. */
// @ts-ignore: decorator
@inline function outputRow4(m0: v128, m1: v128, m2: v128, m3: v128, m4: v128, m5: v128, q: usize, s: usize): void {
  const p = f32x4.add(m1, m2), d = f32x4.sub(m1, m2), r = f32x4.add(m3, m4), e = f32x4.sub(m3, m4)
  v128.store(q, f32x4.add(f32x4.add(m0, p), r))
  v128.store(q + s, f32x4.add(d, f32x4.mul(f32x4.splat(2), e)))
  v128.store(q + 2 * s, f32x4.add(p, f32x4.mul(f32x4.splat(4), r)))
  v128.store(q + 3 * s, f32x4.add(f32x4.add(d, f32x4.mul(f32x4.splat(8), e)), m5))
}

/**
 * winograd_filter_grad_f32 by F(4x4, 3x3): dw = Gᵀ [Σ_tiles V ⊙ (A dY Aᵀ)] G over 4x4 output tiles (6x6 patches),
 * the sum over the range's tiles in order.
 */
export function winograd4_filter_grad_f32(x: usize, dy: usize, dw: usize, geo: usize, n0: i32, n1: i32, scratch: usize,
  T: i32): void {
  if (ASC_FEATURE_SIMD) filterGrad4Tiles(x, dy, dw, geo, n0, n1, scratch, T)
}

function filterGrad4Tiles(x: usize, dy: usize, dw: usize, geo: usize, n0: i32, n1: i32, scratch: usize, T: i32): void {
  const H = g(geo, 1), W = g(geo, 2), C = g(geo, 3), OH = g(geo, 4), OW = g(geo, 5), OC = g(geo, 6), pad = g(geo, 11)
  const TH = (OH + 3) >> 2, TW = (OW + 3) >> 2
  const per = TH * TW
  const vs = scratch
  const ms = vs + (<usize>(36 * xiFloats(T, C)) << 2)
  const du = ms + (<usize>(36 * xiFloats(T, OC)) << 2)
  const tmp = du + (<usize>(36 * uPlane(C, OC)) << 2)
  const padded = tmp + 48 * 16
  const vStep = <usize>xiFloats(T, C) << 2, uStep = <usize>uPlane(C, OC) << 2, mStep = <usize>xiFloats(T, OC) << 2
  const Wp = 4 * TW + 2
  zeroF32(padded, (4 * TH + 2) * Wp * C)
  zeroF32(du, 36 * uPlane(C, OC))
  for (let n = n0; n < n1; n++) {
    padImage(x + (<usize>(n * H * W * C) << 2), H, W, C, pad, Wp, padded)
    const grad = dy + (<usize>(n * OH * OW * OC) << 2)
    for (let r0 = 0; r0 < per; r0 += T) {
      const nt = r0 + T < per ? T : per - r0
      input4Tiles(padded, vs, tmp, Wp, C, TW, r0, nt, T)
      grad4Tiles(grad, ms, tmp, OH, OW, OC, TW, r0, nt, T)
      for (let xi = 0; xi < 36; xi++) {
        gemmTransposedA(vs + <usize>xi * vStep, C, ms + <usize>xi * mStep, OC, du + <usize>xi * uStep, nt)
      }
    }
  }
  filter4FromU(du, uStep, dw, C * OC, tmp)
}

/** dM = A dY Aᵀ (6x6) of tiles [r0, r0 + nt) into ms [36][..] (dY past OH / OW is zero): rows into tmp, then columns. */
function grad4Tiles(dy: usize, ms: usize, tmp: usize, OH: i32, OW: i32, OC: i32, TW: i32, r0: i32, nt: i32, T: i32): void {
  const px = <usize>OC << 2
  const row = <usize>(OW * OC) << 2
  const qs = <usize>xiFloats(T, OC) << 2
  const zero = f32x4.splat(0)
  let th = r0 / TW
  let tw = r0 - th * TW
  for (let tb = 0; tb < nt; tb++, tw++) {
    if (tw == TW) { tw = 0; th++ }
    const oh = 4 * th, ow = 4 * tw
    const down = OH - oh < 4 ? OH - oh : 4, right = OW - ow < 4 ? OW - ow : 4
    const src = dy + (<usize>((oh * OW + ow) * OC) << 2)
    const dst = ms + (<usize>(tb * OC) << 2)
    for (let k = 0; k < OC; k += 4) {
      const off = <usize>k << 2
      // A y of each row of the tile into tmp [4][6]
      for (let a = 0; a < 4; a++) {
        const p = src + <usize>a * row + off
        const ok = a < down
        gradRow4(ok ? v128.load(p) : zero, ok && right > 1 ? v128.load(p + px) : zero,
          ok && right > 2 ? v128.load(p + 2 * px) : zero, ok && right > 3 ? v128.load(p + 3 * px) : zero,
          tmp + (<usize>(6 * a) << 4), 16)
      }
      // A (y Aᵀ): each column of tmp into dM[ξ = 6i + j]
      for (let j = 0; j < 6; j++) {
        const p = tmp + (<usize>j << 4)
        gradRow4(v128.load(p), v128.load(p, 96), v128.load(p, 192), v128.load(p, 288), dst + off + <usize>j * qs, 6 * qs)
      }
    }
  }
}

/** The 1-D A y of 4 vectors (6 results), stored at q, q + s, ... q + 5s. */
// @ts-ignore: decorator
@inline function gradRow4(y0: v128, y1: v128, y2: v128, y3: v128, q: usize, s: usize): void {
  const e = f32x4.add(y0, y2), o = f32x4.add(y1, y3)
  const e4 = f32x4.add(y0, f32x4.mul(f32x4.splat(4), y2))
  const o8 = f32x4.add(f32x4.mul(f32x4.splat(2), y1), f32x4.mul(f32x4.splat(8), y3))
  v128.store(q, y0)
  v128.store(q + s, f32x4.add(e, o))
  v128.store(q + 2 * s, f32x4.sub(e, o))
  v128.store(q + 3 * s, f32x4.add(e4, o8))
  v128.store(q + 4 * s, f32x4.sub(e4, o8))
  v128.store(q + 5 * s, y3)
}

/** dw [3][3][taps] = Gᵀ dU G from du [36][..] (planes `s` bytes apart), 4 taps at a time; r: 18 vectors of scratch. */
function filter4FromU(du: usize, s: usize, dw: usize, taps: i32, r: usize): void {
  const ws = <usize>taps << 2
  for (let i = 0; i < taps; i += 4) {
    const p = du + (<usize>i << 2)
    // dU G: each row of dU (6) into r [6][3]
    for (let a = 0; a < 6; a++) {
      const q = p + <usize>(6 * a) * s
      gTransposed(v128.load(q), v128.load(q + s), v128.load(q + 2 * s), v128.load(q + 3 * s), v128.load(q + 4 * s),
        v128.load(q + 5 * s), r + (<usize>(3 * a) << 4), 16)
    }
    // Gᵀ (dU G): each column of r into dw[a][b] (rows 3 taps-planes apart)
    const o = dw + (<usize>i << 2)
    for (let b = 0; b < 3; b++) {
      const q = r + (<usize>b << 4)
      gTransposed(v128.load(q), v128.load(q, 48), v128.load(q, 96), v128.load(q, 144), v128.load(q, 192),
        v128.load(q, 240), o + <usize>b * ws, 3 * ws)
    }
  }
}

/** Gᵀ u of 6 vectors (3 results), stored at q, q + s, q + 2s. */
// @ts-ignore: decorator
@inline function gTransposed(u0: v128, u1: v128, u2: v128, u3: v128, u4: v128, u5: v128, q: usize, s: usize): void {
  const sixth = f32x4.splat(<f32>SIXTH), twelfth = f32x4.splat(<f32>W12), w24 = f32x4.splat(<f32>W24)
  const p12 = f32x4.add(u1, u2), m12 = f32x4.sub(u2, u1), p34 = f32x4.add(u3, u4), m34 = f32x4.sub(u3, u4)
  v128.store(q, f32x4.add(f32x4.sub(f32x4.mul(f32x4.splat(0.25), u0), f32x4.mul(sixth, p12)), f32x4.mul(w24, p34)))
  v128.store(q + s, f32x4.add(f32x4.mul(sixth, m12), f32x4.mul(twelfth, m34)))
  v128.store(q + 2 * s, f32x4.add(f32x4.sub(f32x4.mul(sixth, p34), f32x4.mul(sixth, p12)), u5))
}
