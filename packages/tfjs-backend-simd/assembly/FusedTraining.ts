// Kernels of the fused training step (src/fused/trainer.ts): the pieces of batch norm, activation, dropout and
// AdamW that tfjs would run as dozens of small kernels, each here one pass over memory. Matrices are [rows, C]
// (NHWC activations flattened); every kernel takes a row or element range so the host can split it over threads.

import { fma4, transposeRows } from './_vec'
import { gemm_f32 } from './_gemm'
import { g as geoInt } from './_im2col'

/**
 * Per-channel sums over rows [r0, r1) of d = x - shift[c] (shift 0 = no shift): out[c] (f64) = Σ d and, with
 * `squares`, out[C + c] = Σ d² as well, in one pass. With the shift near the mean (the moving mean), the variance
 * Σd²/n - (Σd/n)² keeps its precision. Blocks of 64 rows are summed in f32 lanes, then into the f64 totals.
 */
export function channel_sums_f32(x: usize, shift: usize, C: i32, r0: i32, r1: i32, squares: i32, out: usize): void {
  const n = squares ? 2 * C : C
  for (let c = 0; c < n; c++) store<f64>(out + (<usize>c << 3), 0)
  let b = r0
  if (ASC_FEATURE_SIMD) {
    // Four full blocks at a time: each block's f32 partial is its own dependency chain (one add per ~4 cycles), so
    // four of them in one row loop keep the adder busy. Every block is summed and added to the f64 totals exactly
    // as one at a time (same rows, same order), so the result is bit-identical.
    for (; b + 256 <= r1; b += 256) {
      channelSums4Blocks(x, shift, C, b, squares, out)
      for (let k = 0; k < 4; k++) channelSumsTail(x, shift, C, b + 64 * k, b + 64 * k + 64, C & ~3, squares, out)
    }
  }
  for (; b < r1; b += 64) {
    const e = b + 64 < r1 ? b + 64 : r1
    let c = 0
    if (ASC_FEATURE_SIMD) {
      for (; c + 4 <= C; c += 4) {
        const off = <usize>c << 2
        const m = shift ? v128.load(shift + off) : f32x4.splat(0)
        let s1 = f32x4.splat(0)
        let s2 = f32x4.splat(0)
        if (squares) {
          for (let r = b; r < e; r++) {
            const d = f32x4.sub(v128.load(x + (<usize>(r * C) << 2) + off), m)
            s1 = f32x4.add(s1, d)
            s2 = fma4(d, d, s2)
          }
          addLanes(out + (<usize>(C + c) << 3), s2)
        } else {
          for (let r = b; r < e; r++) s1 = f32x4.add(s1, f32x4.sub(v128.load(x + (<usize>(r * C) << 2) + off), m))
        }
        addLanes(out + (<usize>c << 3), s1)
      }
    }
    channelSumsTail(x, shift, C, b, e, c, squares, out)
  }
}

/** channel_sums_f32 of the 4-channel groups of the four 64-row blocks from row b, interleaved (blocks in order). */
// @ts-ignore: decorator
@inline function channelSums4Blocks(x: usize, shift: usize, C: i32, b: i32, squares: i32, out: usize): void {
  const rowBytes = <usize>C << 2
  const blockBytes = rowBytes << 6
  for (let c = 0; c + 4 <= C; c += 4) {
    const off = <usize>c << 2
    const m = shift ? v128.load(shift + off) : f32x4.splat(0)
    let p = x + (<usize>(b * C) << 2) + off
    const end = p + blockBytes
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0)
    if (squares) {
      let q0 = f32x4.splat(0), q1 = f32x4.splat(0), q2 = f32x4.splat(0), q3 = f32x4.splat(0)
      for (; p < end; p += rowBytes) {
        const d0 = f32x4.sub(v128.load(p), m)
        const d1 = f32x4.sub(v128.load(p + blockBytes), m)
        const d2 = f32x4.sub(v128.load(p + 2 * blockBytes), m)
        const d3 = f32x4.sub(v128.load(p + 3 * blockBytes), m)
        a0 = f32x4.add(a0, d0); q0 = fma4(d0, d0, q0)
        a1 = f32x4.add(a1, d1); q1 = fma4(d1, d1, q1)
        a2 = f32x4.add(a2, d2); q2 = fma4(d2, d2, q2)
        a3 = f32x4.add(a3, d3); q3 = fma4(d3, d3, q3)
      }
      const o2 = out + (<usize>(C + c) << 3)
      addLanes(o2, q0); addLanes(o2, q1); addLanes(o2, q2); addLanes(o2, q3)
    } else {
      for (; p < end; p += rowBytes) {
        a0 = f32x4.add(a0, f32x4.sub(v128.load(p), m))
        a1 = f32x4.add(a1, f32x4.sub(v128.load(p + blockBytes), m))
        a2 = f32x4.add(a2, f32x4.sub(v128.load(p + 2 * blockBytes), m))
        a3 = f32x4.add(a3, f32x4.sub(v128.load(p + 3 * blockBytes), m))
      }
    }
    const o1 = out + (<usize>c << 3)
    addLanes(o1, a0); addLanes(o1, a1); addLanes(o1, a2); addLanes(o1, a3)
  }
}

/** channel_sums_f32 of channels [c0, C) over rows [b, e) (one block), one lane at a time. */
// @ts-ignore: decorator
@inline function channelSumsTail(x: usize, shift: usize, C: i32, b: i32, e: i32, c0: i32, squares: i32, out: usize): void {
  for (let c = c0; c < C; c++) {
    const m: f32 = shift ? load<f32>(shift + (<usize>c << 2)) : 0
    let s1: f32 = 0, s2: f32 = 0
    for (let r = b; r < e; r++) {
      const d = load<f32>(x + (<usize>(r * C + c) << 2)) - m
      s1 += d
      s2 += d * d
    }
    const p = out + (<usize>c << 3)
    store<f64>(p, load<f64>(p) + <f64>s1)
    if (squares) {
      const q = out + (<usize>(C + c) << 3)
      store<f64>(q, load<f64>(q) + <f64>s2)
    }
  }
}

/** y = x * scale[c] + shift[c], then max(0, y) with `relu` (NaN stays NaN), rows [r0, r1). y may be x. */
export function scale_shift_act_f32(x: usize, y: usize, scale: usize, shift: usize, C: i32, relu: i32, r0: i32, r1: i32): void {
  const rowBytes = <usize>C << 2
  // 64-row blocks, each 4-channel group down the block with scale and shift in registers (as bn_grad_f32)
  for (let b = r0; b < r1; b += 64) {
    const e = b + 64 < r1 ? b + 64 : r1
    let c = 0
    if (ASC_FEATURE_SIMD) {
      const z = f32x4.splat(0)
      for (; c + 4 <= C; c += 4) {
        const off = <usize>c << 2
        const sc = v128.load(scale + off), sh = v128.load(shift + off)
        const end = (<usize>(e * C) << 2) + off
        if (relu) {
          // pmax(v, 0) = v < 0 ? 0 : v (NaN and -0 stay)
          for (let ro = (<usize>(b * C) << 2) + off; ro < end; ro += rowBytes) v128.store(y + ro, f32x4.pmax(fma4(v128.load(x + ro), sc, sh), z))
        } else {
          for (let ro = (<usize>(b * C) << 2) + off; ro < end; ro += rowBytes) v128.store(y + ro, fma4(v128.load(x + ro), sc, sh))
        }
      }
    }
    for (; c < C; c++) {
      const off = <usize>c << 2
      const sc = load<f32>(scale + off), sh = load<f32>(shift + off)
      for (let r = b; r < e; r++) {
        const ro = (<usize>(r * C) << 2) + off
        let v = load<f32>(x + ro) * sc + sh
        if (relu && v < 0) v = 0
        store<f32>(y + ro, v)
      }
    }
  }
}

// Batch norm (+ ReLU) followed by a 2x2 / stride-2 max pool (valid padding, even H and W): the geometry block is the
// pool's (see _im2col.ts). The forward writes only the pooled output and the backward goes from the pooled gradient
// straight to dz, so the full-resolution activation y is neither written nor read back (3 passes over it saved).

/**
 * Pooled rows [m0, m1) (m = (n, oh, ow)) of max_pool(act(z·scale[c] + shift[c])): y computed per element exactly as
 * scale_shift_act_f32 does and the maximum taken as max_pool_f32 does (same comparisons), so the output is
 * bit-identical to those two kernels in a row.
 */
export function bn_act_pool_f32(z: usize, y: usize, scale: usize, shift: usize, geo: usize, relu: i32, m0: i32, m1: i32): void {
  const W = geoInt(geo, 2), C = geoInt(geo, 3), OH = geoInt(geo, 4), OW = geoInt(geo, 5)
  const row = <usize>(W * C) << 2
  const px = <usize>C << 2
  const ohw = OH * OW
  // Runs of windows along one output row, each 4-channel group along the run with its scale and shift in registers.
  for (let m = m0; m < m1;) {
    const n = m / ohw
    const oh = (m - n * ohw) / OW
    const ow = m - n * ohw - oh * OW
    const run = OW - ow < m1 - m ? OW - ow : m1 - m
    const p0 = z + (<usize>(((n * OH * 2 + oh * 2) * W + ow * 2) * C) << 2)
    const o0 = y + (<usize>(m * C) << 2)
    const pEnd = p0 + (<usize>run << 1) * px
    let c = 0
    if (ASC_FEATURE_SIMD) {
      const zero = f32x4.splat(0)
      const ninf = f32x4.splat(-Infinity)
      for (; c + 4 <= C; c += 4) {
        const off = <usize>c << 2
        const sc = v128.load(scale + off), sh = v128.load(shift + off)
        for (let p = p0 + off, o = o0 + off; p < pEnd; p += px << 1, o += px) {
          const a = scaleShiftAct4(p, sc, sh, relu, zero)
          const b = scaleShiftAct4(p + px, sc, sh, relu, zero)
          const d = scaleShiftAct4(p + row, sc, sh, relu, zero)
          const e = scaleShiftAct4(p + row + px, sc, sh, relu, zero)
          // pmax(best, v) = best < v ? v : best: max_pool_f32's bitselect(v, best, v > best) in one instruction
          v128.store(o, f32x4.pmax(f32x4.pmax(f32x4.pmax(f32x4.pmax(ninf, a), b), d), e))
        }
      }
    }
    for (; c < C; c++) {
      const off = <usize>c << 2
      const sc = load<f32>(scale + off), sh = load<f32>(shift + off)
      for (let p = p0 + off, o = o0 + off; p < pEnd; p += px << 1, o += px) {
        let best: f32 = -Infinity
        const a = scaleShiftAct1(p, sc, sh, relu)
        if (a > best) best = a
        const b = scaleShiftAct1(p + px, sc, sh, relu)
        if (b > best) best = b
        const d = scaleShiftAct1(p + row, sc, sh, relu)
        if (d > best) best = d
        const e = scaleShiftAct1(p + row + px, sc, sh, relu)
        if (e > best) best = e
        store<f32>(o, best)
      }
    }
    m += run
  }
}

/**
 * Backward of bn_act_pool_f32 down to the batch norm's output gradient, pooled rows [m0, m1): recomputes each
 * window's y from z, routes dy (the pooled gradient) to the first maximum in (kh, kw) order as max_pool_grad_f32
 * does, applies the ReLU mask (y > 0 there) and writes all four dz of the window. The result is bit-identical to
 * max_pool_grad_f32 followed by the ReLU mask, so bn_grad_sums_f32 / bn_grad_f32 then run with relu = 0. Where
 * max_pool_grad_f32 takes its generic path (C not a multiple of 4, or no SIMD) it adds dy to a zeroed dx, so dz is
 * 0 + dy there (-0 becomes +0) as well.
 */
export function bn_act_pool_grad_f32(z: usize, dy: usize, dz: usize, scale: usize, shift: usize, geo: usize, relu: i32, m0: i32, m1: i32): void {
  const W = geoInt(geo, 2), C = geoInt(geo, 3), OH = geoInt(geo, 4), OW = geoInt(geo, 5)
  const row = <usize>(W * C) << 2
  const px = <usize>C << 2
  const ohw = OH * OW
  const addZero = (C & 3) != 0
  // Runs of windows along one output row, as in bn_act_pool_f32.
  for (let m = m0; m < m1;) {
    const n = m / ohw
    const oh = (m - n * ohw) / OW
    const ow = m - n * ohw - oh * OW
    const run = OW - ow < m1 - m ? OW - ow : m1 - m
    const at = <usize>(((n * OH * 2 + oh * 2) * W + ow * 2) * C) << 2
    const span = (<usize>run << 1) * px
    const g0 = dy + (<usize>(m * C) << 2)
    let c = 0
    if (ASC_FEATURE_SIMD) {
      const zero = f32x4.splat(0)
      const ninf = f32x4.splat(-Infinity)
      for (; c + 4 <= C; c += 4) {
        const off = <usize>c << 2
        const sc = v128.load(scale + off), sh = v128.load(shift + off)
        const pEnd = z + at + span
        for (let p = z + at + off, q = dz + at + off, gy = g0 + off; p < pEnd; p += px << 1, q += px << 1, gy += px) {
          // Before the ReLU: where the window's maximum is > 0 (the only case in which the gradient passes the
          // ReLU) it is the same value at the same first position with or without the ReLU, so its argmax is too.
          const a = fma4(v128.load(p), sc, sh)
          const b = fma4(v128.load(p + px), sc, sh)
          const d = fma4(v128.load(p + row), sc, sh)
          const e = fma4(v128.load(p + row + px), sc, sh)
          const ga = f32x4.gt(a, ninf)
          let best = f32x4.pmax(ninf, a)
          const gb = f32x4.gt(b, best)
          best = f32x4.pmax(best, b)
          const gd = f32x4.gt(d, best)
          best = f32x4.pmax(best, d)
          const ge = f32x4.gt(e, best)
          best = f32x4.pmax(best, e)
          let g4 = v128.load(gy)
          if (addZero) g4 = f32x4.add(zero, g4)
          // The ReLU mask only matters at the maximum: y > 0 there iff best > 0.
          if (relu) g4 = v128.and(g4, f32x4.gt(best, zero))
          // the first maximum is where the last winning comparison happened
          const de = v128.or(gd, ge)
          v128.store(q, v128.and(g4, v128.andnot(ga, v128.or(gb, de))))
          v128.store(q + px, v128.and(g4, v128.andnot(gb, de)))
          v128.store(q + row, v128.and(g4, v128.andnot(gd, ge)))
          v128.store(q + row + px, v128.and(g4, ge))
        }
      }
    }
    for (; c < C; c++) {
      const off = <usize>c << 2
      const sc = load<f32>(scale + off), sh = load<f32>(shift + off)
      const pEnd = z + at + span
      for (let p = z + at + off, q = dz + at + off, gy = g0 + off; p < pEnd; p += px << 1, q += px << 1, gy += px) {
        const a = scaleShiftAct1(p, sc, sh, relu)
        const b = scaleShiftAct1(p + px, sc, sh, relu)
        const d = scaleShiftAct1(p + row, sc, sh, relu)
        const e = scaleShiftAct1(p + row + px, sc, sh, relu)
        let best: f32 = -Infinity
        let k = -1
        if (a > best) { best = a; k = 0 }
        if (b > best) { best = b; k = 1 }
        if (d > best) { best = d; k = 2 }
        if (e > best) { best = e; k = 3 }
        const gv: f32 = 0 + load<f32>(gy)
        store<f32>(q, k == 0 && (!relu || a > 0) ? gv : 0)
        store<f32>(q + px, k == 1 && (!relu || b > 0) ? gv : 0)
        store<f32>(q + row, k == 2 && (!relu || d > 0) ? gv : 0)
        store<f32>(q + row + px, k == 3 && (!relu || e > 0) ? gv : 0)
      }
    }
    m += run
  }
}

/** scale_shift_act_f32's SIMD lanes: act(fma4(z, scale, shift)). */
// @ts-ignore: decorator
@inline function scaleShiftAct4(p: usize, sc: v128, sh: v128, relu: i32, zero: v128): v128 {
  const v = fma4(v128.load(p), sc, sh)
  return relu ? f32x4.pmax(v, zero) : v
}

/** scale_shift_act_f32's scalar channels: z·scale + shift (two roundings), then the ReLU. */
// @ts-ignore: decorator
@inline function scaleShiftAct1(p: usize, sc: f32, sh: f32, relu: i32): f32 {
  let v = load<f32>(p) * sc + sh
  if (relu && v < 0) v = 0
  return v
}

/**
 * Batch-norm backward sums over rows [r0, r1): out[c] = Σ dz, out[C + c] = Σ dz·(x - mean[c]) (f64), where dz = dy,
 * or with `relu` (a layer ending in batch norm + ReLU) dz = dy where y > 0 for y = x·scale[c] + shift[c] recomputed
 * exactly as scale_shift_act_f32 computes it (the SIMD multiply-add on the 4-channel groups, two roundings on the
 * other channels; y > 0 with or without the ReLU applied, NaN and -0 included), so y is never stored or read.
 * scale and shift are read only with `relu`.
 */
export function bn_grad_sums_f32(scale: usize, shift: usize, dy: usize, x: usize, mean: usize, C: i32, relu: i32, r0: i32, r1: i32,
  out: usize): void {
  for (let c = 0; c < 2 * C; c++) store<f64>(out + (<usize>c << 3), 0)
  let b = r0
  if (ASC_FEATURE_SIMD) {
    // Four full blocks at a time, as in channel_sums_f32 (same sums, same order: bit-identical).
    for (; b + 256 <= r1; b += 256) {
      bnGradSums4Blocks(scale, shift, dy, x, mean, C, relu, b, out)
      for (let k = 0; k < 4; k++) bnGradSumsTail(scale, shift, dy, x, mean, C, relu, b + 64 * k, b + 64 * k + 64, C & ~3, out)
    }
  }
  for (; b < r1; b += 64) {
    const e = b + 64 < r1 ? b + 64 : r1
    let c = 0
    if (ASC_FEATURE_SIMD) {
      const z = f32x4.splat(0)
      for (; c + 4 <= C; c += 4) {
        const off = <usize>c << 2
        const m = v128.load(mean + off)
        const sc = relu ? v128.load(scale + off) : z, sh = relu ? v128.load(shift + off) : z
        let s1 = f32x4.splat(0)
        let s2 = f32x4.splat(0)
        for (let r = b; r < e; r++) {
          const ro = (<usize>(r * C) << 2) + off
          let g = v128.load(dy + ro)
          const xv = v128.load(x + ro)
          if (relu) g = v128.and(g, f32x4.gt(fma4(xv, sc, sh), z))
          s1 = f32x4.add(s1, g)
          s2 = fma4(g, f32x4.sub(xv, m), s2)
        }
        addLanes(out + (<usize>c << 3), s1)
        addLanes(out + (<usize>(C + c) << 3), s2)
      }
    }
    bnGradSumsTail(scale, shift, dy, x, mean, C, relu, b, e, c, out)
  }
}

/** bn_grad_sums_f32 of the 4-channel groups of the four 64-row blocks from row b, interleaved (blocks in order). */
// @ts-ignore: decorator
@inline function bnGradSums4Blocks(scale: usize, shift: usize, dy: usize, x: usize, mean: usize, C: i32, relu: i32, b: i32, out: usize): void {
  const rowBytes = <usize>C << 2
  const bb = rowBytes << 6
  const z = f32x4.splat(0)
  for (let c = 0; c + 4 <= C; c += 4) {
    const off = <usize>c << 2
    const m = v128.load(mean + off)
    const start = (<usize>(b * C) << 2) + off
    const end = start + bb
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0)
    let q0 = f32x4.splat(0), q1 = f32x4.splat(0), q2 = f32x4.splat(0), q3 = f32x4.splat(0)
    if (relu) {
      const sc = v128.load(scale + off), sh = v128.load(shift + off)
      for (let ro = start; ro < end; ro += rowBytes) {
        const x0 = v128.load(x + ro), x1 = v128.load(x + ro + bb), x2 = v128.load(x + ro + 2 * bb), x3 = v128.load(x + ro + 3 * bb)
        const g0 = v128.and(v128.load(dy + ro), f32x4.gt(fma4(x0, sc, sh), z))
        const g1 = v128.and(v128.load(dy + ro + bb), f32x4.gt(fma4(x1, sc, sh), z))
        const g2 = v128.and(v128.load(dy + ro + 2 * bb), f32x4.gt(fma4(x2, sc, sh), z))
        const g3 = v128.and(v128.load(dy + ro + 3 * bb), f32x4.gt(fma4(x3, sc, sh), z))
        a0 = f32x4.add(a0, g0); q0 = fma4(g0, f32x4.sub(x0, m), q0)
        a1 = f32x4.add(a1, g1); q1 = fma4(g1, f32x4.sub(x1, m), q1)
        a2 = f32x4.add(a2, g2); q2 = fma4(g2, f32x4.sub(x2, m), q2)
        a3 = f32x4.add(a3, g3); q3 = fma4(g3, f32x4.sub(x3, m), q3)
      }
    } else {
      for (let ro = start; ro < end; ro += rowBytes) {
        const g0 = v128.load(dy + ro), g1 = v128.load(dy + ro + bb), g2 = v128.load(dy + ro + 2 * bb), g3 = v128.load(dy + ro + 3 * bb)
        a0 = f32x4.add(a0, g0); q0 = fma4(g0, f32x4.sub(v128.load(x + ro), m), q0)
        a1 = f32x4.add(a1, g1); q1 = fma4(g1, f32x4.sub(v128.load(x + ro + bb), m), q1)
        a2 = f32x4.add(a2, g2); q2 = fma4(g2, f32x4.sub(v128.load(x + ro + 2 * bb), m), q2)
        a3 = f32x4.add(a3, g3); q3 = fma4(g3, f32x4.sub(v128.load(x + ro + 3 * bb), m), q3)
      }
    }
    const o1 = out + (<usize>c << 3)
    const o2 = out + (<usize>(C + c) << 3)
    addLanes(o1, a0); addLanes(o1, a1); addLanes(o1, a2); addLanes(o1, a3)
    addLanes(o2, q0); addLanes(o2, q1); addLanes(o2, q2); addLanes(o2, q3)
  }
}

/** bn_grad_sums_f32 of channels [c0, C) over rows [b, e) (one block), one lane at a time. */
// @ts-ignore: decorator
@inline function bnGradSumsTail(scale: usize, shift: usize, dy: usize, x: usize, mean: usize, C: i32, relu: i32, b: i32, e: i32, c0: i32,
  out: usize): void {
  for (let c = c0; c < C; c++) {
    const m = load<f32>(mean + (<usize>c << 2))
    const sc: f32 = relu ? load<f32>(scale + (<usize>c << 2)) : 0, sh: f32 = relu ? load<f32>(shift + (<usize>c << 2)) : 0
    let s1: f32 = 0, s2: f32 = 0
    for (let r = b; r < e; r++) {
      const ro = <usize>(r * C + c) << 2
      let g = load<f32>(dy + ro)
      const xv = load<f32>(x + ro)
      // scale_shift_act_f32's scalar channels: x·scale + shift, two roundings
      if (relu && !(xv * sc + sh > 0)) g = 0
      s1 += g
      s2 += g * (xv - m)
    }
    const p1 = out + (<usize>c << 3)
    const p2 = out + (<usize>(C + c) << 3)
    store<f64>(p1, load<f64>(p1) + <f64>s1)
    store<f64>(p2, load<f64>(p2) + <f64>s2)
  }
}

/**
 * Batch-norm input gradient, rows [r0, r1): dx = k1[c]·dz + k2[c]·(x - mean[c]) + k3[c], with dz (and the ReLU mask
 * from x, scale and shift) as in bn_grad_sums_f32 and coef = [k1, k2, k3, mean] (4·C floats) computed by the host
 * from those sums. dx may be dy.
 */
export function bn_grad_f32(scale: usize, shift: usize, dy: usize, x: usize, dx: usize, coef: usize, C: i32, relu: i32, r0: i32, r1: i32): void {
  const o2 = <usize>C << 2
  const o3 = <usize>(2 * C) << 2
  const om = <usize>(3 * C) << 2
  const rowBytes = <usize>C << 2
  // 64-row blocks, each 4-channel group down the block with its coefficients in registers: a row of a few groups
  // is too short an inner loop (and reloads the coefficients every row). Per element the same operations.
  for (let b = r0; b < r1; b += 64) {
    const e = b + 64 < r1 ? b + 64 : r1
    let c = 0
    if (ASC_FEATURE_SIMD) {
      const z = f32x4.splat(0)
      for (; c + 4 <= C; c += 4) {
        const off = <usize>c << 2
        const k1 = v128.load(coef + off), k2 = v128.load(coef + o2 + off), k3 = v128.load(coef + o3 + off), m = v128.load(coef + om + off)
        const end = (<usize>(e * C) << 2) + off
        if (relu) {
          const sc = v128.load(scale + off), sh = v128.load(shift + off)
          for (let ro = (<usize>(b * C) << 2) + off; ro < end; ro += rowBytes) {
            const xv = v128.load(x + ro)
            const g = v128.and(v128.load(dy + ro), f32x4.gt(fma4(xv, sc, sh), z))
            v128.store(dx + ro, fma4(k1, g, fma4(k2, f32x4.sub(xv, m), k3)))
          }
        } else {
          for (let ro = (<usize>(b * C) << 2) + off; ro < end; ro += rowBytes) {
            v128.store(dx + ro, fma4(k1, v128.load(dy + ro), fma4(k2, f32x4.sub(v128.load(x + ro), m), k3)))
          }
        }
      }
    }
    for (; c < C; c++) {
      const off = <usize>c << 2
      const k1 = load<f32>(coef + off), k2 = load<f32>(coef + o2 + off), k3 = load<f32>(coef + o3 + off), m = load<f32>(coef + om + off)
      const sc: f32 = relu ? load<f32>(scale + off) : 0, sh: f32 = relu ? load<f32>(shift + off) : 0
      for (let r = b; r < e; r++) {
        const ro = (<usize>(r * C) << 2) + off
        let g = load<f32>(dy + ro)
        const xv = load<f32>(x + ro)
        if (relu && !(xv * sc + sh > 0)) g = 0
        store<f32>(dx + ro, k1 * g + (k2 * (xv - m) + k3))
      }
    }
  }
}

/** ReLU gradient in place, elements [i0, i1): dy = y > 0 ? dy : 0 (y is the ReLU's output). */
export function relu_grad_f32(y: usize, dy: usize, i0: i32, i1: i32): void {
  let i = i0
  if (ASC_FEATURE_SIMD) {
    const z = f32x4.splat(0)
    for (; i + 4 <= i1; i += 4) {
      const off = <usize>i << 2
      v128.store(dy + off, v128.and(v128.load(dy + off), f32x4.gt(v128.load(y + off), z)))
    }
  }
  for (; i < i1; i++) {
    const off = <usize>i << 2
    if (!(load<f32>(y + off) > 0)) store<f32>(dy + off, 0)
  }
}

// @ts-ignore: decorator
@inline function mix32(v: u32): u32 {
  // "lowbias32" integer hash (Chris Wellons): full avalanche, cheap.
  v ^= v >> 16
  v *= 0x7feb352d
  v ^= v >> 15
  v *= 0x846ca68b
  v ^= v >> 16
  return v
}

/**
 * Inverted dropout, elements [i0, i1): y = keep(i) ? x·scale : 0, where keep(i) = mix32(i·0x9e3779b9 ^ mix32(seed ^
 * 0x9e3779b9)) >= threshold (threshold = rate·2³²). The mask is a pure function of (seed, i), so any thread split
 * gives the same mask. It is also written, one byte per element (0xff kept, 0 dropped) at mask[i], for
 * dropout_grad_f32: the backward pass reads 1 byte per element instead of hashing again (the hash's 32-bit
 * multiplies are most of the cost). y may be x.
 */
export function dropout_mask_f32(x: usize, y: usize, mask: usize, seed: u32, threshold: u32, scale: f32, i0: i32, i1: i32): void {
  const s = mix32(seed ^ 0x9e3779b9)
  let i = i0
  if (ASC_FEATURE_SIMD) {
    const vs = i32x4.splat(s), k1 = i32x4.splat(0x7feb352d), k2 = i32x4.splat(0x846ca68b)
    const vt = i32x4.splat(threshold), vscale = f32x4.splat(scale)
    // i·0x9e3779b9 (mod 2³²) advanced by additions: exact, one multiply per element less
    const golden: u32 = 0x9e3779b9
    const g0: u32 = <u32>i * golden
    let hi = i32x4(<i32>g0, <i32>(g0 + golden), <i32>(g0 + 2 * golden), <i32>(g0 + 3 * golden))
    const step4 = i32x4.splat(<i32>(4 * golden))
    // 16 elements (four independent hash chains) per iteration, then 4 at a time
    for (; i + 16 <= i1; i += 16) {
      const h0 = hashKeep(hi, vs, k1, k2, vt)
      hi = i32x4.add(hi, step4)
      const h1 = hashKeep(hi, vs, k1, k2, vt)
      hi = i32x4.add(hi, step4)
      const h2 = hashKeep(hi, vs, k1, k2, vt)
      hi = i32x4.add(hi, step4)
      const h3 = hashKeep(hi, vs, k1, k2, vt)
      hi = i32x4.add(hi, step4)
      const off = <usize>i << 2
      v128.store(y + off, v128.and(f32x4.mul(v128.load(x + off), vscale), h0))
      v128.store(y + off + 16, v128.and(f32x4.mul(v128.load(x + off + 16), vscale), h1))
      v128.store(y + off + 32, v128.and(f32x4.mul(v128.load(x + off + 32), vscale), h2))
      v128.store(y + off + 48, v128.and(f32x4.mul(v128.load(x + off + 48), vscale), h3))
      v128.store(mask + <usize>i, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(h0, h1), i16x8.narrow_i32x4_s(h2, h3)))
    }
    for (; i + 4 <= i1; i += 4) {
      const h = hashKeep(hi, vs, k1, k2, vt)
      hi = i32x4.add(hi, step4)
      const off = <usize>i << 2
      v128.store(y + off, v128.and(f32x4.mul(v128.load(x + off), vscale), h))
      const b = i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(h, h), i16x8.narrow_i32x4_s(h, h))
      v128.store32_lane(mask + <usize>i, b, 0)
    }
  }
  for (; i < i1; i++) {
    const off = <usize>i << 2
    const keep = mix32(<u32>i * 0x9e3779b9 ^ s) >= threshold
    store<u8>(mask + <usize>i, keep ? 0xff : 0)
    store<f32>(y + off, keep ? load<f32>(x + off) * scale : 0)
  }
}

/** Backward of dropout_mask_f32 with its mask, elements [i0, i1): dx = mask[i] ? dy·scale : 0. dx may be dy. */
export function dropout_grad_f32(dy: usize, dx: usize, mask: usize, scale: f32, i0: i32, i1: i32): void {
  let i = i0
  if (ASC_FEATURE_SIMD) {
    const vscale = f32x4.splat(scale)
    for (; i + 16 <= i1; i += 16) {
      const mb = v128.load(mask + <usize>i)
      const lo = i16x8.extend_low_i8x16_s(mb), hi = i16x8.extend_high_i8x16_s(mb)
      const off = <usize>i << 2
      v128.store(dx + off, v128.and(f32x4.mul(v128.load(dy + off), vscale), i32x4.extend_low_i16x8_s(lo)))
      v128.store(dx + off + 16, v128.and(f32x4.mul(v128.load(dy + off + 16), vscale), i32x4.extend_high_i16x8_s(lo)))
      v128.store(dx + off + 32, v128.and(f32x4.mul(v128.load(dy + off + 32), vscale), i32x4.extend_low_i16x8_s(hi)))
      v128.store(dx + off + 48, v128.and(f32x4.mul(v128.load(dy + off + 48), vscale), i32x4.extend_high_i16x8_s(hi)))
    }
    for (; i + 4 <= i1; i += 4) {
      const m = i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.load32_zero(mask + <usize>i)))
      const off = <usize>i << 2
      v128.store(dx + off, v128.and(f32x4.mul(v128.load(dy + off), vscale), m))
    }
  }
  for (; i < i1; i++) {
    const off = <usize>i << 2
    store<f32>(dx + off, load<u8>(mask + <usize>i) ? load<f32>(dy + off) * scale : 0)
  }
}

/** All ones where element i of the lanes (hi = i·0x9e3779b9) is kept by dropout_mask_f32's hash, else 0. */
// @ts-ignore: decorator
@inline function hashKeep(hi: v128, vs: v128, k1: v128, k2: v128, vt: v128): v128 {
  let h = v128.xor(hi, vs)
  h = v128.xor(h, i32x4.shr_u(h, 16))
  h = i32x4.mul(h, k1)
  h = v128.xor(h, i32x4.shr_u(h, 15))
  h = i32x4.mul(h, k2)
  h = v128.xor(h, i32x4.shr_u(h, 16))
  return i32x4.ge_u(h, vt)
}

/**
 * AdamW (PyTorch's formula) over elements [i0, i1) of the flat parameter, gradient and moment arrays:
 * m = b1·m + (1-b1)·g; v = b2·v + (1-b2)·g²; p = p·decay - stepSize·m / (sqrt(v)/bc2Sqrt + eps).
 */
export function adamw_f32(p: usize, g: usize, m: usize, v: usize, b1: f32, b2: f32, eps: f32, decay: f32, stepSize: f32,
  bc2Sqrt: f32, i0: i32, i1: i32): void {
  const c1: f32 = 1 - b1
  const c2: f32 = 1 - b2
  const inv: f32 = 1 / bc2Sqrt
  let i = i0
  if (ASC_FEATURE_SIMD) {
    const vb1 = f32x4.splat(b1), vc1 = f32x4.splat(c1), vb2 = f32x4.splat(b2), vc2 = f32x4.splat(c2)
    const veps = f32x4.splat(eps), vdecay = f32x4.splat(decay), vstep = f32x4.splat(stepSize), vinv = f32x4.splat(inv)
    for (; i + 4 <= i1; i += 4) {
      const off = <usize>i << 2
      const gi = v128.load(g + off)
      const mi = f32x4.add(f32x4.mul(v128.load(m + off), vb1), f32x4.mul(gi, vc1))
      const vi = f32x4.add(f32x4.mul(v128.load(v + off), vb2), f32x4.mul(f32x4.mul(gi, gi), vc2))
      v128.store(m + off, mi)
      v128.store(v + off, vi)
      const denom = f32x4.add(f32x4.mul(f32x4.sqrt(vi), vinv), veps)
      v128.store(p + off, f32x4.sub(f32x4.mul(v128.load(p + off), vdecay), f32x4.div(f32x4.mul(vstep, mi), denom)))
    }
  }
  for (; i < i1; i++) {
    const off = <usize>i << 2
    const gi = load<f32>(g + off)
    const mi = load<f32>(m + off) * b1 + gi * c1
    const vi = load<f32>(v + off) * b2 + gi * gi * c2
    store<f32>(m + off, mi)
    store<f32>(v + off, vi)
    store<f32>(p + off, load<f32>(p + off) * decay - (stepSize * mi) / (Mathf.sqrt(vi) * inv + eps))
  }
}

/**
 * adamw_f32 over elements [i0, i1), then the updated parameters' part of every weight transpose in `table`
 * (entries of four i32 [src, dst, rows, cols], transpose_f32's arguments, src inside p): the step's Wᵀ copies are made while the new
 * weights are in this thread's cache, instead of in a one-thread call at the start of the next forward pass. The
 * same update and the same values moved: bit-identical to adamw_f32 then transpose_f32 of each entry.
 */
export function adamw_transpose_f32(p: usize, g: usize, m: usize, v: usize, b1: f32, b2: f32, eps: f32, decay: f32, stepSize: f32,
  bc2Sqrt: f32, i0: i32, i1: i32, table: usize, count: i32): void {
  adamw_f32(p, g, m, v, b1, b2, eps, decay, stepSize, bc2Sqrt, i0, i1)
  for (let e = 0; e < count; e++) {
    const t = table + (<usize>e << 4)
    const src = <usize>load<i32>(t), dst = <usize>load<i32>(t + 4), rows = load<i32>(t + 8), cols = load<i32>(t + 12)
    const off = <i32>((src - p) >> 2)
    const lo = (i0 > off ? i0 : off) - off
    const end = off + rows * cols
    const hi = (i1 < end ? i1 : end) - off
    if (lo >= hi) continue
    // whole rows [ra, rb) in tiles, the partial rows at the ends one value at a time
    const ra = (lo + cols - 1) / cols, rb = hi / cols
    if (ra > rb) {
      transposeElements(src, dst, rows, cols, lo, hi)
      continue
    }
    transposeElements(src, dst, rows, cols, lo, ra * cols)
    transposeRows(src, cols, dst, rows, ra, rb, cols)
    transposeElements(src, dst, rows, cols, rb * cols, hi)
  }
}

/** Elements [a, b) (row-major indices) of a transpose of src[rows, cols] into dst[cols, rows]. */
// @ts-ignore: decorator
@inline function transposeElements(src: usize, dst: usize, rows: i32, cols: i32, a: i32, b: i32): void {
  for (let i = a; i < b; i++) {
    const r = i / cols, c = i - r * cols
    store<f32>(dst + (<usize>(c * rows + r) << 2), load<f32>(src + (<usize>i << 2)))
  }
}

// @ts-ignore: decorator
@inline function addLanes(out: usize, s: v128): void {
  store<f64>(out, load<f64>(out) + <f64>f32x4.extract_lane(s, 0))
  store<f64>(out + 8, load<f64>(out + 8) + <f64>f32x4.extract_lane(s, 1))
  store<f64>(out + 16, load<f64>(out + 16) + <f64>f32x4.extract_lane(s, 2))
  store<f64>(out + 24, load<f64>(out + 24) + <f64>f32x4.extract_lane(s, 3))
}

/**
 * C[m, j] = Σ_k A[m, k]·B[j, k] for rows m in [m0, m1): both operands row-major with contiguous k (A·Bᵀ), for a dense
 * layer's forward pass with few units (y = x·W with W transposed): blocks of 2 rows x 4 columns keep 8 independent
 * accumulators busy, where the GEMM's 8-column tiles would leave most of 10 columns to its slow edge path.
 */
export function dot_rows_f32(a: usize, b: usize, c: usize, N: i32, K: i32, m0: i32, m1: i32): void {
  const kb = <usize>K << 2
  let m = m0
  for (; m + 2 <= m1; m += 2) {
    const a0 = a + <usize>m * kb
    let j = 0
    for (; j + 4 <= N; j += 4) {
      const b0 = b + <usize>j * kb
      dot2x4(a0, kb, b0, c + (<usize>(m * N + j) << 2), <usize>N << 2, K)
    }
    if (ASC_FEATURE_SIMD) {
      // the last columns two at a time: dot()'s two-accumulator order, but 8 independent chains instead of 2
      for (; j + 2 <= N; j += 2) {
        dot2x2(a0, kb, b + <usize>j * kb, c + (<usize>(m * N + j) << 2), <usize>N << 2, K)
      }
    }
    for (; j < N; j++) {
      store<f32>(c + (<usize>(m * N + j) << 2), dot(a0, b + <usize>j * kb, K))
      store<f32>(c + (<usize>((m + 1) * N + j) << 2), dot(a0 + kb, b + <usize>j * kb, K))
    }
  }
  for (; m < m1; m++) {
    for (let j = 0; j < N; j++) store<f32>(c + (<usize>(m * N + j) << 2), dot(a + <usize>m * kb, b + <usize>j * kb, K))
  }
}

// @ts-ignore: decorator
@inline function dot2x4(a0: usize, kb: usize, b0: usize, out: usize, rowBytes: usize, K: i32): void {
  if (ASC_FEATURE_SIMD) {
    let s00 = f32x4.splat(0), s01 = f32x4.splat(0), s02 = f32x4.splat(0), s03 = f32x4.splat(0)
    let s10 = f32x4.splat(0), s11 = f32x4.splat(0), s12 = f32x4.splat(0), s13 = f32x4.splat(0)
    const a1 = a0 + kb
    let k = 0
    for (; k + 4 <= K; k += 4) {
      const off = <usize>k << 2
      const x0 = v128.load(a0 + off)
      const x1 = v128.load(a1 + off)
      let w = v128.load(b0 + off)
      s00 = fma4(x0, w, s00); s10 = fma4(x1, w, s10)
      w = v128.load(b0 + kb + off)
      s01 = fma4(x0, w, s01); s11 = fma4(x1, w, s11)
      w = v128.load(b0 + 2 * kb + off)
      s02 = fma4(x0, w, s02); s12 = fma4(x1, w, s12)
      w = v128.load(b0 + 3 * kb + off)
      s03 = fma4(x0, w, s03); s13 = fma4(x1, w, s13)
    }
    let r0 = hsum4(s00, s01, s02, s03)
    let r1 = hsum4(s10, s11, s12, s13)
    // the k tail, one lane per column
    for (; k < K; k++) {
      const off = <usize>k << 2
      const wv = f32x4(load<f32>(b0 + off), load<f32>(b0 + kb + off), load<f32>(b0 + 2 * kb + off), load<f32>(b0 + 3 * kb + off))
      r0 = fma4(f32x4.splat(load<f32>(a0 + off)), wv, r0)
      r1 = fma4(f32x4.splat(load<f32>(a1 + off)), wv, r1)
    }
    v128.store(out, r0)
    v128.store(out + rowBytes, r1)
  } else {
    for (let i = 0; i < 2; i++) {
      for (let j = 0; j < 4; j++) store<f32>(out + <usize>i * rowBytes + (<usize>j << 2), dot(a0 + <usize>i * kb, b0 + <usize>j * kb, K))
    }
  }
}

/** [Σ lanes of s0, Σ lanes of s1, Σ lanes of s2, Σ lanes of s3]. */
// @ts-ignore: decorator
@inline function hsum4(s0: v128, s1: v128, s2: v128, s3: v128): v128 {
  // transpose-add: lanes (0,1) and (2,3) pairwise, then the halves
  const t0 = f32x4.add(i32x4.shuffle(s0, s1, 0, 4, 1, 5), i32x4.shuffle(s0, s1, 2, 6, 3, 7))
  const t1 = f32x4.add(i32x4.shuffle(s2, s3, 0, 4, 1, 5), i32x4.shuffle(s2, s3, 2, 6, 3, 7))
  return f32x4.add(i32x4.shuffle(t0, t1, 0, 1, 4, 5), i32x4.shuffle(t0, t1, 2, 3, 6, 7))
}

/** dot() of rows a0, a0+kb with rows b0, b0+kb, interleaved (each result bit-identical to dot()'s). */
// @ts-ignore: decorator
@inline function dot2x2(a0: usize, kb: usize, b0: usize, out: usize, rowBytes: usize, K: i32): void {
  let p00 = f32x4.splat(0), q00 = f32x4.splat(0), p01 = f32x4.splat(0), q01 = f32x4.splat(0)
  let p10 = f32x4.splat(0), q10 = f32x4.splat(0), p11 = f32x4.splat(0), q11 = f32x4.splat(0)
  const a1 = a0 + kb
  const b1 = b0 + kb
  let k = 0
  for (; k + 8 <= K; k += 8) {
    const off = <usize>k << 2
    const x0 = v128.load(a0 + off), x1 = v128.load(a1 + off)
    let w = v128.load(b0 + off)
    p00 = fma4(x0, w, p00); p10 = fma4(x1, w, p10)
    w = v128.load(b1 + off)
    p01 = fma4(x0, w, p01); p11 = fma4(x1, w, p11)
    const y0 = v128.load(a0 + off, 16), y1 = v128.load(a1 + off, 16)
    w = v128.load(b0 + off, 16)
    q00 = fma4(y0, w, q00); q10 = fma4(y1, w, q10)
    w = v128.load(b1 + off, 16)
    q01 = fma4(y0, w, q01); q11 = fma4(y1, w, q11)
  }
  store<f32>(out, dotTail(a0, b0, k, K, f32x4.add(p00, q00)))
  store<f32>(out + 4, dotTail(a0, b1, k, K, f32x4.add(p01, q01)))
  store<f32>(out + rowBytes, dotTail(a1, b0, k, K, f32x4.add(p10, q10)))
  store<f32>(out + rowBytes + 4, dotTail(a1, b1, k, K, f32x4.add(p11, q11)))
}

// @ts-ignore: decorator
@inline function dotTail(a: usize, b: usize, k0: i32, K: i32, v: v128): f32 {
  let s = f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3)
  for (let k = k0; k < K; k++) s += load<f32>(a + (<usize>k << 2)) * load<f32>(b + (<usize>k << 2))
  return s
}

function dot(a: usize, b: usize, K: i32): f32 {
  let s: f32 = 0
  let k = 0
  if (ASC_FEATURE_SIMD) {
    let v0 = f32x4.splat(0), v1 = f32x4.splat(0)
    for (; k + 8 <= K; k += 8) {
      const off = <usize>k << 2
      v0 = fma4(v128.load(a + off), v128.load(b + off), v0)
      v1 = fma4(v128.load(a + off + 16), v128.load(b + off + 16), v1)
    }
    const v = f32x4.add(v0, v1)
    s = f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3)
  }
  for (; k < K; k++) s += load<f32>(a + (<usize>k << 2)) * load<f32>(b + (<usize>k << 2))
  return s
}

/**
 * A dense layer's weight gradient for inputs [k0, k1): dWᵀ[units, k] = dyᵀ · x by gemm_f32 (wide GEMM rows instead
 * of 10 narrow columns) into dwt[C, K], then those columns transposed into dw[K, C]: the transpose is split with the
 * GEMM instead of a one-thread call after it.
 */
export function dense_dw_f32(dy: usize, x: usize, dwt: usize, dw: usize, C: i32, K: i32, n: i32, k0: i32, k1: i32): void {
  gemm_f32(dy, 1, C, x + (<usize>k0 << 2), K, dwt + (<usize>k0 << 2), K, C, k1 - k0, n, 0)
  transposeRows(dwt + (<usize>k0 << 2), K, dw + (<usize>(k0 * C) << 2), C, 0, C, k1 - k0)
}
