// Direct 3x3 / stride 1 / 'same'-padding convolutions (no im2col): each image is copied once into a zero-padded
// [(H+2), (W+2), C] buffer in scratch, so every tap of every pixel is an unchecked load at a fixed offset.
// SIMD builds only; callers check `fitsSame3x3` first.
import { fma4, zeroF32, copyF32 } from './_vec'
import { g } from './_im2col'
import { tileP, tileQ, hasTiles } from './_direct3x3_tiles'

/**
 * filterGradSame3x3 goes through shiftRows only while that buffer (3x the padded image) and the image's dy take at
 * most this many floats (32 KiB, within L1d): 7x7 images gained ~12 %, 14x14x8 with 16 outputs (34 KiB) lost ~3 %.
 */
const SHIFT_MAX_FLOATS = 8192

/** 3x3, stride 1, no dilation, padding 1 on top/left, output the size of the input. */
export function isSame3x3(geo: usize): bool {
  return g(geo, 7) == 3 && g(geo, 8) == 3 && g(geo, 9) == 1 && g(geo, 10) == 1 && g(geo, 11) == 1 && g(geo, 12) == 1
    && g(geo, 13) == 1 && g(geo, 14) == 1 && g(geo, 1) == g(geo, 4) && g(geo, 2) == g(geo, 5)
}

/**
 * isSame3x3 and the padded image of `channels` channels (default: the input's; the input gradient pads dy, OC
 * channels) fits in `scratchFloats`.
 */
export function fitsSame3x3(geo: usize, scratchFloats: i32, channels: i32 = 0): bool {
  const ch = channels > 0 ? channels : g(geo, 3)
  return isSame3x3(geo) && (g(geo, 1) + 2) * (g(geo, 2) + 2) * ch <= scratchFloats
}

/** dst[(H+2), (W+2), C] = image src[H, W, C] with a one-pixel zero border. */
export function padImage(src: usize, H: i32, W: i32, C: i32, dst: usize): void {
  const W2 = W + 2
  const rowIn = W * C
  zeroF32(dst, W2 * C)
  zeroF32(dst + (<usize>((H + 1) * W2 * C) << 2), W2 * C)
  for (let h = 0; h < H; h++) {
    const d = dst + (<usize>((h + 1) * W2 * C) << 2)
    zeroF32(d, C)
    copyF32(d + (<usize>C << 2), src + (<usize>(h * rowIn) << 2), rowIn)
    zeroF32(d + (<usize>((W + 1) * C) << 2), C)
  }
}

/**
 * dst[(H+2)*W, 3C] = the three horizontal taps of every pixel of the zero-padded image side by side: row
 * r*W + ow holds padded pixels (r, ow..ow+2), i.e. src[r-1, ow-1..ow+1, 0..C) with zeros outside. Unlike the padded
 * image, pixels follow each other without gaps across image rows: a tile of consecutive pixels sits at a fixed
 * stride of 3C floats, and pixel m's taps (kh, kw, c) sit at row m + kh*W, column kw*C + c.
 */
export function shiftRows(src: usize, H: i32, W: i32, C: i32, dst: usize): void {
  const row = 3 * C * W
  const pix = <usize>C << 2
  zeroF32(dst, row)
  zeroF32(dst + (<usize>((H + 1) * row) << 2), row)
  for (let h = 0; h < H; h++) {
    let d = dst + (<usize>((h + 1) * row) << 2)
    const s = src + (<usize>(h * W * C) << 2)
    if (W == 1) {
      zeroF32(d, C); copyF32(d + pix, s, C); zeroF32(d + 2 * pix, C)
      continue
    }
    zeroF32(d, C)
    copyF32(d + pix, s, 2 * C)
    d += 3 * pix
    for (let ow = 1; ow < W - 1; ow++) {
      copyF32(d, s + <usize>(ow - 1) * pix, 3 * C)
      d += 3 * pix
    }
    copyF32(d, s + <usize>(W - 2) * pix, 2 * C)
    zeroF32(d + 2 * pix, C)
  }
}

/**
 * A 4-pixel x 8-channel output tile (V8 on x64 allocates 15 vector registers and hoists a block's loads: 8 accumulators + 6 loads fit, bigger tiles spill): out(i, 0..8) = sum over segments (s1, s2) and k < L of
 * A_i[aoff + 4k] * B[boff + k*ldb, 0..8], aoff = s1*A1 + s2*A2 (bytes), boff = s1*B1 + s2*B2 (bytes).
 * Rows i >= rows are computed on p_{rows-1} and not stored.
 */
function tile4x8(p0: usize, p1: usize, p2: usize, p3: usize, b: usize, ldb: usize, L: i32,
  S1: i32, S2: i32, A1: i32, A2: i32, B1: i32, B2: i32, out: usize, os: usize, rows: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0)
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0)
  for (let s1 = 0; s1 < S1; s1++) {
    for (let s2 = 0; s2 < S2; s2++) {
      let q = <usize>(s1 * A1 + s2 * A2)
      let bp = b + <usize>(s1 * B1 + s2 * B2)
      const qe = q + (<usize>L << 2)
      for (; q < qe; q += 4) {
        const b0 = v128.load(bp)
        const b1 = v128.load(bp, 16)
        let x = v128.load32_splat(p0 + q)
        c00 = fma4(x, b0, c00); c01 = fma4(x, b1, c01)
        x = v128.load32_splat(p1 + q)
        c10 = fma4(x, b0, c10); c11 = fma4(x, b1, c11)
        x = v128.load32_splat(p2 + q)
        c20 = fma4(x, b0, c20); c21 = fma4(x, b1, c21)
        x = v128.load32_splat(p3 + q)
        c30 = fma4(x, b0, c30); c31 = fma4(x, b1, c31)
        bp += ldb
      }
    }
  }
  v128.store(out, c00); v128.store(out, c01, 16)
  if (rows > 1) { v128.store(out + os, c10); v128.store(out + os, c11, 16) }
  if (rows > 2) { v128.store(out + 2 * os, c20); v128.store(out + 2 * os, c21, 16) }
  if (rows > 3) { v128.store(out + 3 * os, c30); v128.store(out + 3 * os, c31, 16) }
}

/**
 * The 3-pixel x 12-channel tile: 9 accumulators + 3 weight vectors + 3 broadcasts fill the 15 vector registers
 * (more independent FMA chains than tile4x8's 8, which wait on the FMA latency); same segments and sums.
 */
function tile3x12(p0: usize, p1: usize, p2: usize, b: usize, ldb: usize, L: i32,
  S1: i32, S2: i32, A1: i32, A2: i32, B1: i32, B2: i32, out: usize, os: usize, rows: i32): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0)
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0)
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c22 = f32x4.splat(0)
  for (let s1 = 0; s1 < S1; s1++) {
    for (let s2 = 0; s2 < S2; s2++) {
      let q = <usize>(s1 * A1 + s2 * A2)
      let bp = b + <usize>(s1 * B1 + s2 * B2)
      const qe = q + (<usize>L << 2)
      for (; q < qe; q += 4) {
        const b0 = v128.load(bp)
        const b1 = v128.load(bp, 16)
        const b2 = v128.load(bp, 32)
        let x = v128.load32_splat(p0 + q)
        c00 = fma4(x, b0, c00); c01 = fma4(x, b1, c01); c02 = fma4(x, b2, c02)
        x = v128.load32_splat(p1 + q)
        c10 = fma4(x, b0, c10); c11 = fma4(x, b1, c11); c12 = fma4(x, b2, c12)
        x = v128.load32_splat(p2 + q)
        c20 = fma4(x, b0, c20); c21 = fma4(x, b1, c21); c22 = fma4(x, b2, c22)
        bp += ldb
      }
    }
  }
  v128.store(out, c00); v128.store(out, c01, 16); v128.store(out, c02, 32)
  if (rows > 1) { v128.store(out + os, c10); v128.store(out + os, c11, 16); v128.store(out + os, c12, 32) }
  if (rows > 2) { v128.store(out + 2 * os, c20); v128.store(out + 2 * os, c21, 16); v128.store(out + 2 * os, c22, 32) }
}

/**
 * Output pixels [q0, q1) of one image (W wide) from its padded input `pad` (CA floats per pixel), N output
 * channels (multiple of 8): 3-pixel x 12-channel tiles when N is a multiple of 12, else 4-pixel x 8-channel tiles
 * (see tile4x8 for the segment parameters). Full tiles of CA in {8, 16, 24, 32} on images at least a tile wide
 * take the generated variants of _direct3x3_tiles.ts (pixel offsets as immediates).
 */
export function directImage(pad: usize, W: i32, CA: i32, q0: i32, q1: i32, b: usize, ldb: usize, L: i32,
  S1: i32, S2: i32, A1: i32, A2: i32, B1: i32, B2: i32, out: usize, N: i32): void {
  const pix = <usize>CA << 2
  const skip = pix << 1
  let oh = q0 / W
  let ow = q0 - oh * W
  let p = pad + (<usize>(oh * (W + 2) + ow) * pix)
  const os = <usize>N << 2
  const wide = N % 12 == 0
  const T = wide ? 3 : 4
  const fast = W >= T && hasTiles(CA)
  for (let q = q0; q < q1; q += T) {
    const rows = q1 - q < T ? q1 - q : T
    // pointers of the tile's pixels, advancing (oh, ow) over the padded width
    const ow0 = ow
    const p0 = p
    if (++ow == W) { ow = 0; p += skip }
    p += pix
    const p1 = rows > 1 ? p : p0
    if (rows > 1) { if (++ow == W) { ow = 0; p += skip } p += pix }
    const p2 = rows > 2 ? p : p1
    if (rows > 2) { if (++ow == W) { ow = 0; p += skip } p += pix }
    const p3 = rows > 3 ? p : p2
    if (rows > 3) { if (++ow == W) { ow = 0; p += skip } p += pix }
    const o = out + (<usize>(q - q0) * os)
    if (fast && rows == T) {
      // row break after pixel v of the tile (v = T-1: none)
      const v = W - ow0 < T ? W - 1 - ow0 : T - 1
      if (wide) {
        for (let j = 0; j < N; j += 12) tileQ(CA, v, p0, b + (<usize>j << 2), ldb, L, S1, S2, A1, A2, B1, B2, o + (<usize>j << 2), os)
      } else {
        for (let j = 0; j < N; j += 8) tileP(CA, v, p0, b + (<usize>j << 2), ldb, L, S1, S2, A1, A2, B1, B2, o + (<usize>j << 2), os)
      }
    } else if (wide) {
      for (let j = 0; j < N; j += 12) {
        tile3x12(p0, p1, p2, b + (<usize>j << 2), ldb, L, S1, S2, A1, A2, B1, B2, o + (<usize>j << 2), os, rows)
      }
    } else {
      for (let j = 0; j < N; j += 8) {
        tile4x8(p0, p1, p2, p3, b + (<usize>j << 2), ldb, L, S1, S2, A1, A2, B1, B2, o + (<usize>j << 2), os, rows)
      }
    }
  }
}

/** Forward: y rows [m0, m1) (m = (n, oh, ow)), w [3, 3, C, OC], OC multiple of 8; scratch >= (H+2)(W+2)C floats. */
export function conv2dSame3x3(x: usize, w: usize, y: usize, geo: usize, m0: i32, m1: i32, scratch: usize): void {
  const H = g(geo, 1), W = g(geo, 2), C = g(geo, 3), OC = g(geo, 6)
  const hw = H * W
  const n0 = m0 / hw
  const nEnd = (m1 + hw - 1) / hw
  const rowB = (W + 2) * C * 4
  for (let n = n0; n < nEnd; n++) {
    const b0 = n * hw
    const q0 = m0 > b0 ? m0 - b0 : 0
    const q1 = m1 < b0 + hw ? m1 - b0 : hw
    if (q1 <= q0) continue
    padImage(x + (<usize>(b0 * C) << 2), H, W, C, scratch)
    directImage(scratch, W, C, q0, q1, w, <usize>OC << 2, 3 * C, 3, 1, rowB, 0, 3 * C * OC * 4, 0,
      y + (<usize>((b0 + q0) * OC) << 2), OC)
  }
}

/**
 * Input gradient of images [n0, n1): dx = full correlation of dy with the flipped filter; wt is [OC, 9*C], C multiple
 * of 8. When the padded dy and the flipped filter in tap order (wf[(a, b, oc), c] = wt[oc, (2-a, 2-b, c)], 9*OC*C
 * floats) both fit in scratchFloats, each output row runs 3 segments of 3*OC taps instead of 9 of OC; the taps are
 * summed in the same (a, b, oc) order either way.
 */
export function backpropInputSame3x3(dy: usize, wt: usize, dx: usize, geo: usize, n0: i32, n1: i32, scratch: usize,
  scratchFloats: i32 = 0): void {
  const H = g(geo, 1), W = g(geo, 2), C = g(geo, 3), OC = g(geo, 6)
  const hw = H * W
  const K = 9 * C
  const padFloats = (H + 2) * (W + 2) * OC
  const flip = padFloats + 9 * OC * C <= scratchFloats
  const wf = scratch + (<usize>padFloats << 2)
  if (flip) {
    for (let t = 0; t < 9; t++) {
      for (let oc = 0; oc < OC; oc++) {
        copyF32(wf + (<usize>((t * OC + oc) * C) << 2), wt + (<usize>(oc * K + (8 - t) * C) << 2), C)
      }
    }
  }
  for (let n = n0; n < n1; n++) {
    const out = dx + (<usize>(n * hw * C) << 2)
    padImage(dy + (<usize>(n * hw * OC) << 2), H, W, OC, scratch)
    if (flip) {
      directImage(scratch, W, OC, 0, hw, wf, <usize>C << 2, 3 * OC, 3, 1, (W + 2) * OC * 4, 0, 3 * OC * C * 4, 0, out, C)
    } else {
      // tap (a, b) of the padded dy pairs with filter tap (2-a, 2-b)
      directImage(scratch, W, OC, 0, hw, wt + (<usize>(8 * C) << 2), <usize>K << 2, OC, 3, 3, (W + 2) * OC * 4, OC * 4,
        -3 * C * 4, -C * 4, out, C)
    }
  }
}

/**
 * filterGradSame3x3 on one image through shiftRows: pixels [q0, q1) run as one loop (no row segments), the
 * accumulators of each 4(k) x 8(oc) tile take them in the same order. dy points at pixel q0 of the image.
 */
function filterGradShifted(x: usize, dy: usize, dw: usize, H: i32, W: i32, C: i32, OC: i32, q0: i32, q1: i32,
  scratch: usize): void {
  shiftRows(x, H, W, C, scratch)
  const L = 3 * C
  const pix = <usize>L << 2
  const ds = <usize>OC << 2
  const n = q1 - q0
  for (let kh = 0; kh < 3; kh++) {
    const a0 = scratch + <usize>(kh * W + q0) * pix
    for (let kk = 0; kk < L; kk += 4) {
      const dwr = dw + (<usize>((kh * L + kk) * OC) << 2)
      const ak = a0 + (<usize>kk << 2)
      for (let j = 0; j < OC; j += 8) {
        const cp = dwr + (<usize>j << 2)
        let c00 = v128.load(cp), c01 = v128.load(cp, 16)
        let c10 = v128.load(cp + ds), c11 = v128.load(cp + ds, 16)
        let c20 = v128.load(cp + 2 * ds), c21 = v128.load(cp + 2 * ds, 16)
        let c30 = v128.load(cp + 3 * ds), c31 = v128.load(cp + 3 * ds, 16)
        let ap = ak
        let gp = dy + (<usize>j << 2)
        const ge = gp + <usize>n * ds
        for (; gp < ge; gp += ds) {
          const g0 = v128.load(gp), g1 = v128.load(gp, 16)
          let xv: v128
          xv = v128.load32_splat(ap, 0)
          c00 = fma4(xv, g0, c00); c01 = fma4(xv, g1, c01)
          xv = v128.load32_splat(ap, 4)
          c10 = fma4(xv, g0, c10); c11 = fma4(xv, g1, c11)
          xv = v128.load32_splat(ap, 8)
          c20 = fma4(xv, g0, c20); c21 = fma4(xv, g1, c21)
          xv = v128.load32_splat(ap, 12)
          c30 = fma4(xv, g0, c30); c31 = fma4(xv, g1, c31)
          ap += pix
        }
        v128.store(cp, c00); v128.store(cp, c01, 16)
        v128.store(cp + ds, c10); v128.store(cp + ds, c11, 16)
        v128.store(cp + 2 * ds, c20); v128.store(cp + 2 * ds, c21, 16)
        v128.store(cp + 3 * ds, c30); v128.store(cp + 3 * ds, c31, 16)
      }
    }
  }
}

/**
 * Filter gradient over rows [m0, m1): dw[K, OC] (K = (kh, kw, c)) with 4(k) x 8(oc) register tiles kept over
 * all pixels of an image; C multiple of 4, OC multiple of 8. Overwrites dw.
 */
export function filterGradSame3x3(x: usize, dy: usize, dw: usize, geo: usize, m0: i32, m1: i32, scratch: usize,
  scratchFloats: i32 = 0): void {
  const H = g(geo, 1), W = g(geo, 2), C = g(geo, 3), OC = g(geo, 6)
  const hw = H * W
  const L = 3 * C
  zeroF32(dw, 3 * L * OC)
  const n0 = m0 / hw
  const nEnd = (m1 + hw - 1) / hw
  const shifted = (H + 2) * W * 3 * C <= scratchFloats && (H + 2) * W * 3 * C + hw * OC <= SHIFT_MAX_FLOATS
  for (let n = n0; n < nEnd; n++) {
    const b0 = n * hw
    const q0 = m0 > b0 ? m0 - b0 : 0
    const q1 = m1 < b0 + hw ? m1 - b0 : hw
    if (q1 <= q0) continue
    if (shifted) {
      filterGradShifted(x + (<usize>(b0 * C) << 2), dy + (<usize>((b0 + q0) * OC) << 2), dw, H, W, C, OC, q0, q1, scratch)
      continue
    }
    padImage(x + (<usize>(b0 * C) << 2), H, W, C, scratch)
    filterGradPadded(scratch, W, C, OC, q0, q1, dy + (<usize>((b0 + q0) * OC) << 2), dw)
  }
}

/**
 * Adds one image's filter gradient over output pixels [q0, q1) into dw[(kh, kw, c), OC]: `pad` is the image padded
 * so that output pixel (oh, ow) reads pad pixels (oh..oh+2, ow..ow+2) of a row W + 2 wide (the zero-padded image
 * for 'same', the input itself for 'valid'); dy points at pixel q0's gradient. 4(k) x 8(oc) register tiles.
 */
export function filterGradPadded(pad: usize, W: i32, C: i32, OC: i32, q0: i32, q1: i32, dy: usize, dw: usize): void {
  const L = 3 * C
  const pix = <usize>C << 2
  const rowB = <usize>((W + 2) * C) << 2
  const ds = <usize>OC << 2
  const ohS = q0 / W, owS = q0 - ohS * W
  for (let kh = 0; kh < 3; kh++) {
    for (let kk = 0; kk < L; kk += 4) {
      const a0 = pad + <usize>kh * rowB + (<usize>kk << 2)
      const dwr = dw + (<usize>((kh * L + kk) * OC) << 2)
      for (let j = 0; j < OC; j += 8) {
        const cp = dwr + (<usize>j << 2)
        let c00 = v128.load(cp), c01 = v128.load(cp, 16)
        let c10 = v128.load(cp + ds), c11 = v128.load(cp + ds, 16)
        let c20 = v128.load(cp + 2 * ds), c21 = v128.load(cp + 2 * ds, 16)
        let c30 = v128.load(cp + 3 * ds), c31 = v128.load(cp + 3 * ds, 16)
        let ap = a0 + <usize>(ohS * (W + 2) + owS) * pix
        let gp = dy + (<usize>j << 2)
        // row segments: the pointers only jump over the 2 padding columns between them
        for (let q = q0, ow = owS; q < q1; ow = 0) {
          const owE = q1 - q + ow < W ? q1 - q + ow : W
          q += owE - ow
          for (; ow < owE; ow++) {
            const g0 = v128.load(gp), g1 = v128.load(gp, 16)
            let xv: v128
            xv = v128.load32_splat(ap, 0)
            c00 = fma4(xv, g0, c00); c01 = fma4(xv, g1, c01)
            xv = v128.load32_splat(ap, 4)
            c10 = fma4(xv, g0, c10); c11 = fma4(xv, g1, c11)
            xv = v128.load32_splat(ap, 8)
            c20 = fma4(xv, g0, c20); c21 = fma4(xv, g1, c21)
            xv = v128.load32_splat(ap, 12)
            c30 = fma4(xv, g0, c30); c31 = fma4(xv, g1, c31)
            gp += ds
            ap += pix
          }
          ap += pix << 1
        }
        v128.store(cp, c00); v128.store(cp, c01, 16)
        v128.store(cp + ds, c10); v128.store(cp + ds, c11, 16)
        v128.store(cp + 2 * ds, c20); v128.store(cp + 2 * ds, c21, 16)
        v128.store(cp + 3 * ds, c30); v128.store(cp + 3 * ds, c31, 16)
      }
    }
  }
}

/**
 * One input channel (the first layer), forward: per output-channel vector the 9 weight vectors stay in registers
 * and 4 adjacent output pixels are computed together, so each broadcast input pixel feeds up to 3 FMAs.
 * OC multiple of 4; scratch >= (H+2)(W+2) floats.
 */
export function conv1Same3x3(x: usize, w: usize, y: usize, geo: usize, m0: i32, m1: i32, scratch: usize): void {
  const H = g(geo, 1), W = g(geo, 2), OC = g(geo, 6)
  const hw = H * W
  const n0 = m0 / hw
  const nEnd = (m1 + hw - 1) / hw
  const rowB = <usize>(W + 2) << 2
  const tap = <usize>OC << 2
  for (let n = n0; n < nEnd; n++) {
    const b0 = n * hw
    const q0 = m0 > b0 ? m0 - b0 : 0
    const q1 = m1 < b0 + hw ? m1 - b0 : hw
    if (q1 <= q0) continue
    padImage(x + (<usize>b0 << 2), H, W, 1, scratch)
    const ohS = q0 / W, ohE = (q1 - 1) / W
    for (let v = 0; v < OC; v += 4) {
      const wp = w + (<usize>v << 2)
      const w0 = v128.load(wp), w1 = v128.load(wp + tap), w2 = v128.load(wp + 2 * tap)
      const w3 = v128.load(wp + 3 * tap), w4 = v128.load(wp + 4 * tap), w5 = v128.load(wp + 5 * tap)
      const w6 = v128.load(wp + 6 * tap), w7 = v128.load(wp + 7 * tap), w8 = v128.load(wp + 8 * tap)
      for (let oh = ohS; oh <= ohE; oh++) {
        const rs = oh * W
        let ow = q0 > rs ? q0 - rs : 0
        const owE = q1 - rs < W ? q1 - rs : W
        let r = scratch + <usize>(oh * (W + 2) + ow) * 4
        let o = y + (<usize>((b0 + rs + ow) * OC + v) << 2)
        for (; ow + 4 <= owE; ow += 4) {
          let s = v128.load32_splat(r)
          let a0 = f32x4.mul(s, w0)
          s = v128.load32_splat(r, 4)
          a0 = fma4(s, w1, a0); let a1 = f32x4.mul(s, w0)
          s = v128.load32_splat(r, 8)
          a0 = fma4(s, w2, a0); a1 = fma4(s, w1, a1); let a2 = f32x4.mul(s, w0)
          s = v128.load32_splat(r, 12)
          a1 = fma4(s, w2, a1); a2 = fma4(s, w1, a2); let a3 = f32x4.mul(s, w0)
          s = v128.load32_splat(r, 16)
          a2 = fma4(s, w2, a2); a3 = fma4(s, w1, a3)
          s = v128.load32_splat(r, 20)
          a3 = fma4(s, w2, a3)
          let r1 = r + rowB
          s = v128.load32_splat(r1)
          a0 = fma4(s, w3, a0)
          s = v128.load32_splat(r1, 4)
          a0 = fma4(s, w4, a0); a1 = fma4(s, w3, a1)
          s = v128.load32_splat(r1, 8)
          a0 = fma4(s, w5, a0); a1 = fma4(s, w4, a1); a2 = fma4(s, w3, a2)
          s = v128.load32_splat(r1, 12)
          a1 = fma4(s, w5, a1); a2 = fma4(s, w4, a2); a3 = fma4(s, w3, a3)
          s = v128.load32_splat(r1, 16)
          a2 = fma4(s, w5, a2); a3 = fma4(s, w4, a3)
          s = v128.load32_splat(r1, 20)
          a3 = fma4(s, w5, a3)
          r1 += rowB
          s = v128.load32_splat(r1)
          a0 = fma4(s, w6, a0)
          s = v128.load32_splat(r1, 4)
          a0 = fma4(s, w7, a0); a1 = fma4(s, w6, a1)
          s = v128.load32_splat(r1, 8)
          a0 = fma4(s, w8, a0); a1 = fma4(s, w7, a1); a2 = fma4(s, w6, a2)
          s = v128.load32_splat(r1, 12)
          a1 = fma4(s, w8, a1); a2 = fma4(s, w7, a2); a3 = fma4(s, w6, a3)
          s = v128.load32_splat(r1, 16)
          a2 = fma4(s, w8, a2); a3 = fma4(s, w7, a3)
          s = v128.load32_splat(r1, 20)
          a3 = fma4(s, w8, a3)
          v128.store(o, a0); v128.store(o + tap, a1); v128.store(o + 2 * tap, a2); v128.store(o + 3 * tap, a3)
          r += 16
          o += 4 * tap
        }
        for (; ow < owE; ow++) {
          const r1 = r + rowB, r2 = r1 + rowB
          let a = f32x4.mul(v128.load32_splat(r), w0)
          a = fma4(v128.load32_splat(r, 4), w1, a); a = fma4(v128.load32_splat(r, 8), w2, a)
          a = fma4(v128.load32_splat(r1), w3, a); a = fma4(v128.load32_splat(r1, 4), w4, a)
          a = fma4(v128.load32_splat(r1, 8), w5, a); a = fma4(v128.load32_splat(r2), w6, a)
          a = fma4(v128.load32_splat(r2, 4), w7, a); a = fma4(v128.load32_splat(r2, 8), w8, a)
          v128.store(o, a)
          r += 4
          o += tap
        }
      }
    }
  }
}

/**
 * One input channel, filter gradient: per output-channel vector the 9 tap accumulators stay in registers and
 * 4 adjacent pixels are taken together (4 dy vectors, each broadcast input pixel feeds up to 3 FMAs). Overwrites dw.
 */
export function filterGrad1Same3x3(x: usize, dy: usize, dw: usize, geo: usize, m0: i32, m1: i32, scratch: usize): void {
  const H = g(geo, 1), W = g(geo, 2), OC = g(geo, 6)
  const hw = H * W
  zeroF32(dw, 9 * OC)
  const n0 = m0 / hw
  const nEnd = (m1 + hw - 1) / hw
  const rowB = <usize>(W + 2) << 2
  const tap = <usize>OC << 2
  for (let n = n0; n < nEnd; n++) {
    const b0 = n * hw
    const q0 = m0 > b0 ? m0 - b0 : 0
    const q1 = m1 < b0 + hw ? m1 - b0 : hw
    if (q1 <= q0) continue
    padImage(x + (<usize>b0 << 2), H, W, 1, scratch)
    const ohS = q0 / W, ohE = (q1 - 1) / W
    for (let v = 0; v < OC; v += 4) {
      const dp = dw + (<usize>v << 2)
      let A0 = v128.load(dp), A1 = v128.load(dp + tap), A2 = v128.load(dp + 2 * tap)
      let A3 = v128.load(dp + 3 * tap), A4 = v128.load(dp + 4 * tap), A5 = v128.load(dp + 5 * tap)
      let A6 = v128.load(dp + 6 * tap), A7 = v128.load(dp + 7 * tap), A8 = v128.load(dp + 8 * tap)
      for (let oh = ohS; oh <= ohE; oh++) {
        const rs = oh * W
        let ow = q0 > rs ? q0 - rs : 0
        const owE = q1 - rs < W ? q1 - rs : W
        let r = scratch + <usize>(oh * (W + 2) + ow) * 4
        let o = dy + (<usize>((b0 + rs + ow) * OC + v) << 2)
        for (; ow + 4 <= owE; ow += 4) {
          const g0 = v128.load(o), g1 = v128.load(o + tap), g2 = v128.load(o + 2 * tap), g3 = v128.load(o + 3 * tap)
          let s = v128.load32_splat(r)
          A0 = fma4(s, g0, A0)
          s = v128.load32_splat(r, 4)
          A0 = fma4(s, g1, A0); A1 = fma4(s, g0, A1)
          s = v128.load32_splat(r, 8)
          A0 = fma4(s, g2, A0); A1 = fma4(s, g1, A1); A2 = fma4(s, g0, A2)
          s = v128.load32_splat(r, 12)
          A0 = fma4(s, g3, A0); A1 = fma4(s, g2, A1); A2 = fma4(s, g1, A2)
          s = v128.load32_splat(r, 16)
          A1 = fma4(s, g3, A1); A2 = fma4(s, g2, A2)
          s = v128.load32_splat(r, 20)
          A2 = fma4(s, g3, A2)
          let r1 = r + rowB
          s = v128.load32_splat(r1)
          A3 = fma4(s, g0, A3)
          s = v128.load32_splat(r1, 4)
          A3 = fma4(s, g1, A3); A4 = fma4(s, g0, A4)
          s = v128.load32_splat(r1, 8)
          A3 = fma4(s, g2, A3); A4 = fma4(s, g1, A4); A5 = fma4(s, g0, A5)
          s = v128.load32_splat(r1, 12)
          A3 = fma4(s, g3, A3); A4 = fma4(s, g2, A4); A5 = fma4(s, g1, A5)
          s = v128.load32_splat(r1, 16)
          A4 = fma4(s, g3, A4); A5 = fma4(s, g2, A5)
          s = v128.load32_splat(r1, 20)
          A5 = fma4(s, g3, A5)
          r1 += rowB
          s = v128.load32_splat(r1)
          A6 = fma4(s, g0, A6)
          s = v128.load32_splat(r1, 4)
          A6 = fma4(s, g1, A6); A7 = fma4(s, g0, A7)
          s = v128.load32_splat(r1, 8)
          A6 = fma4(s, g2, A6); A7 = fma4(s, g1, A7); A8 = fma4(s, g0, A8)
          s = v128.load32_splat(r1, 12)
          A6 = fma4(s, g3, A6); A7 = fma4(s, g2, A7); A8 = fma4(s, g1, A8)
          s = v128.load32_splat(r1, 16)
          A7 = fma4(s, g3, A7); A8 = fma4(s, g2, A8)
          s = v128.load32_splat(r1, 20)
          A8 = fma4(s, g3, A8)
          r += 16
          o += 4 * tap
        }
        for (; ow < owE; ow++) {
          const g0 = v128.load(o)
          const r1 = r + rowB, r2 = r1 + rowB
          A0 = fma4(v128.load32_splat(r), g0, A0); A1 = fma4(v128.load32_splat(r, 4), g0, A1)
          A2 = fma4(v128.load32_splat(r, 8), g0, A2); A3 = fma4(v128.load32_splat(r1), g0, A3)
          A4 = fma4(v128.load32_splat(r1, 4), g0, A4); A5 = fma4(v128.load32_splat(r1, 8), g0, A5)
          A6 = fma4(v128.load32_splat(r2), g0, A6); A7 = fma4(v128.load32_splat(r2, 4), g0, A7)
          A8 = fma4(v128.load32_splat(r2, 8), g0, A8)
          r += 4
          o += tap
        }
      }
      v128.store(dp, A0); v128.store(dp + tap, A1); v128.store(dp + 2 * tap, A2)
      v128.store(dp + 3 * tap, A3); v128.store(dp + 4 * tap, A4); v128.store(dp + 5 * tap, A5)
      v128.store(dp + 6 * tap, A6); v128.store(dp + 7 * tap, A7); v128.store(dp + 8 * tap, A8)
    }
  }
}
