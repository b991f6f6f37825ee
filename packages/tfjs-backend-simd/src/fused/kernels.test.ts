// The fused trainer's faster kernels against the kernels (or the plain f32 arithmetic) they replace, bit for bit:
// training results were validated with the old numerics, so every rounding, tie and NaN must come out the same.
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, describe, expect, test } from 'vitest'
import '../index'
import { MODES, randn, useMode } from '../_testing'
import { setThreadsCount } from '../flags'
import type { SimdBackend } from '../backend'
import type { KernelArgs, KernelName } from '../runtime'

afterAll(() => setThreadsCount(2))

const f32 = Math.fround

interface Ctx {
  run<K extends KernelName>(name: K, ...jobs: KernelArgs<K>[]): void
  put(values: ArrayLike<number>): number
  zeros(floats: number): number
  ints(values: number[]): number
  get(ptr: number, floats: number): Float32Array
  f64(ptr: number, count: number): Float64Array
  done(): void
}

function context(): Ctx {
  const rt = (tf.backend() as unknown as SimdBackend).rt
  const blocks: number[] = []
  const alloc = (floats: number) => {
    const p = rt.heap.alloc(Math.max(1, floats) * 4)
    blocks.push(p)
    return p
  }
  return {
    // in parallel where the threads are there (a job per thread at most), else one after the other
    run(name, ...jobs) {
      if (jobs.length <= rt.threads) rt.run(name, jobs)
      else for (const j of jobs) rt.run(name, [j])
    },
    put(values) {
      const p = alloc(values.length)
      rt.heap.f32().set(values, p >> 2)
      return p
    },
    zeros(floats) {
      const p = alloc(floats)
      rt.heap.f32().fill(0, p >> 2, (p >> 2) + floats)
      return p
    },
    ints(values) {
      const p = alloc(values.length)
      rt.heap.i32(p, values.length).set(values)
      return p
    },
    get: (ptr, floats) => rt.heap.f32().slice(ptr >> 2, (ptr >> 2) + floats),
    f64: (ptr, count) => new Float64Array(rt.memory.buffer.slice(ptr, ptr + count * 8)),
    done: () => blocks.forEach((b) => rt.heap.free(b)),
  }
}

/** Values as strings that keep -0 and NaN apart from 0 (JS may change a NaN's payload, so bits would not do). */
const floats = (a: Float32Array) => Array.from(a, (v) => (Object.is(v, -0) ? '-0' : String(v)))
/** dropout_mask_f32's hash (mix32 of assembly/FusedTraining.ts): "lowbias32". */
function mix32(v: number): number {
  v = (v ^ (v >>> 16)) >>> 0
  v = Math.imul(v, 0x7feb352d) >>> 0
  v = (v ^ (v >>> 15)) >>> 0
  v = Math.imul(v, 0x846ca68b) >>> 0
  return (v ^ (v >>> 16)) >>> 0
}

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length))

/** Values with many exact ties (few levels), zeros of both signs, negatives and a NaN now and then. */
function tiesAndSpecials(n: number, seed: number): Float32Array {
  const r = randn(n, seed)
  return r.map((v, i) => (i % 97 === 13 ? NaN : i % 41 === 5 ? -0 : i % 3 === 0 ? Math.round(v * 2) / 2 : v))
}

describe.each(MODES)('fused kernels ($label)', (mode) => {
  // [N, H, W, C]: C a multiple of 4 (max_pool_grad_f32's 2x2 path) and not (its generic path)
  test.each([
    [3, 6, 8, 8],
    [2, 4, 6, 7],
    [1, 2, 2, 12],
    [2, 6, 4, 3],
  ])(
    'bn_act_pool_f32 / bn_act_pool_grad_f32 = scale_shift_act + max_pool + max_pool_grad + ReLU mask, bit for bit (%i x %i x %i x %i)',
    async (N, H, W, C) => {
      await useMode(mode)
      const k = context()
      try {
        const OH = H / 2,
          OW = W / 2
        const rows = N * H * W,
          M = N * OH * OW
        const geoPtr = k.ints([N, H, W, C, OH, OW, C, 2, 2, 2, 2, 0, 0, 1, 1])
        const z = k.put(tiesAndSpecials(rows * C, 1))
        // scale 0 in one channel: a whole channel of ties
        const scale = k.put(Array.from({ length: C }, (_, c) => (c === 1 ? 0 : 0.5 + 0.25 * c)))
        const shift = k.put(Array.from({ length: C }, (_, c) => (c % 2 ? -0.25 : 0.125)))
        const dyp = k.put(tiesAndSpecials(M * C, 2).map((v, i) => (i % 29 === 3 ? -0 : v)))
        for (const relu of [1, 0]) {
          // the unfused kernels
          const y = k.zeros(rows * C),
            pooled = k.zeros(M * C),
            dx = k.zeros(rows * C)
          k.run('scale_shift_act_f32', [z, y, scale, shift, C, relu, 0, rows])
          k.run('max_pool_f32', [y, pooled, geoPtr, 0, M])
          k.run('max_pool_grad_f32', [dyp, y, dx, geoPtr, 0, N])
          if (relu) k.run('relu_grad_f32', [y, dx, 0, rows * C])
          // fused, split in two ranges (the first ends inside an output row)
          const split = Math.max(1, Math.floor(M / 2) - 1)
          const pooled2 = k.zeros(M * C),
            dz = k.zeros(rows * C)
          k.run(
            'bn_act_pool_f32',
            [z, pooled2, scale, shift, geoPtr, relu, 0, split],
            [z, pooled2, scale, shift, geoPtr, relu, split, M],
          )
          k.run(
            'bn_act_pool_grad_f32',
            [z, dyp, dz, scale, shift, geoPtr, relu, 0, split],
            [z, dyp, dz, scale, shift, geoPtr, relu, split, M],
          )
          expect(bits(k.get(pooled2, M * C)), `forward, relu ${relu}`).toEqual(bits(k.get(pooled, M * C)))
          expect(bits(k.get(dz, rows * C)), `backward, relu ${relu}`).toEqual(bits(k.get(dx, rows * C)))
        }
      } finally {
        k.done()
      }
    },
  )

  test('dropout_mask_f32 / dropout_grad_f32: the hash mask of (seed, index), both ways, bit for bit, in any split', async () => {
    await useMode(mode)
    const k = context()
    try {
      const n = 1237
      const xv = tiesAndSpecials(n, 3),
        dyv = tiesAndSpecials(n, 4)
      const x = k.put(xv),
        dy = k.put(dyv)
      const mask = k.zeros(Math.ceil(n / 4))
      for (const [rate, seed] of [
        [0.05, 7],
        [0.5, 0xfffffff0],
        [0.3, 0],
      ] as const) {
        const threshold = Math.round(rate * 4294967296) >>> 0
        const scale = f32(1 / (1 - rate))
        const s = mix32((seed ^ 0x9e3779b9) >>> 0)
        const keep = (i: number) => mix32((Math.imul(i, 0x9e3779b9) ^ s) >>> 0) >= threshold
        const y = k.zeros(n),
          dx = k.zeros(n)
        k.run(
          'dropout_mask_f32',
          [x, y, mask, seed, threshold, scale, 0, 37],
          [x, y, mask, seed, threshold, scale, 37, 1030],
          [x, y, mask, seed, threshold, scale, 1030, n],
        )
        k.run('dropout_grad_f32', [dy, dx, mask, scale, 0, 517], [dy, dx, mask, scale, 517, n])
        const wantY = Float32Array.from(xv, (v, i) => (keep(i) ? f32(v * scale) : 0))
        const wantDx = Float32Array.from(dyv, (v, i) => (keep(i) ? f32(v * scale) : 0))
        expect(floats(k.get(y, n)), `rate ${rate} forward`).toEqual(floats(wantY))
        expect(floats(k.get(dx, n)), `rate ${rate} backward`).toEqual(floats(wantDx))
        const kept = wantY.filter((_, i) => keep(i)).length
        expect(Math.abs(kept / n - (1 - rate))).toBeLessThan(0.05)
      }
    } finally {
      k.done()
    }
  })

  test.each([[8], [7], [24], [3]])(
    'bn_grad_sums_f32 / bn_grad_f32 with relu: the mask of y = scale_shift_act_f32(z), recomputed from z, bit for bit (C = %i)',
    async (C) => {
      await useMode(mode)
      const k = context()
      try {
        // several 4-block groups, a partial block, a range not from 0; ties, NaN, -0, a channel of scale 0 and shift 0
        // (y = ±0 everywhere) and one of shift -z (y exactly 0 for the ties)
        const rows = 1100,
          r0 = 3,
          r1 = 1090,
          split = 517
        const z = k.put(tiesAndSpecials(rows * C, 70))
        const dyv = tiesAndSpecials(rows * C, 71)
        const scale = k.put(Array.from({ length: C }, (_, c) => (c === 1 ? 0 : c === 2 ? 2 : 0.75 - 0.125 * c)))
        const shift = k.put(Array.from({ length: C }, (_, c) => (c === 1 ? 0 : c === 2 ? -1 : 0.1 * c - 0.2)))
        const mean = k.put(Array.from({ length: C }, (_, c) => 0.05 * c))
        const coef = k.put(randn(4 * C, 72))
        // the reference: dy masked where the stored y would not be > 0, then the kernels without the ReLU
        const y = k.zeros(rows * C)
        k.run('scale_shift_act_f32', [z, y, scale, shift, C, 1, 0, rows])
        const yv = k.get(y, rows * C)
        const maskedv = dyv.map((g, i) => (yv[i]! > 0 ? g : 0))
        const dy = k.put(dyv),
          masked = k.put(maskedv)
        const o1 = k.zeros(4 * C),
          o2 = k.zeros(4 * C),
          o3 = k.zeros(4 * C),
          o4 = k.zeros(4 * C)
        k.run(
          'bn_grad_sums_f32',
          [0, 0, masked, z, mean, C, 0, r0, split, o1],
          [0, 0, masked, z, mean, C, 0, split, r1, o2],
        )
        k.run(
          'bn_grad_sums_f32',
          [scale, shift, dy, z, mean, C, 1, r0, split, o3],
          [scale, shift, dy, z, mean, C, 1, split, r1, o4],
        )
        expect(bits(k.get(o3, 4 * C)), 'sums, part 0').toEqual(bits(k.get(o1, 4 * C)))
        expect(bits(k.get(o4, 4 * C)), 'sums, part 1').toEqual(bits(k.get(o2, 4 * C)))
        // in place (dx = dy), as the trainer runs it
        const dx1 = k.put(maskedv),
          dx2 = k.put(dyv)
        k.run('bn_grad_f32', [0, 0, dx1, z, dx1, coef, C, 0, r0, split], [0, 0, dx1, z, dx1, coef, C, 0, split, r1])
        k.run(
          'bn_grad_f32',
          [scale, shift, dx2, z, dx2, coef, C, 1, r0, split],
          [scale, shift, dx2, z, dx2, coef, C, 1, split, r1],
        )
        const inRange = (v: Float32Array) => bits(v.subarray(r0 * C, r1 * C))
        expect(inRange(k.get(dx2, rows * C)), 'gradient').toEqual(inRange(k.get(dx1, rows * C)))
      } finally {
        k.done()
      }
    },
  )

  test('transpose_f32 (4x4 tiles and edges) moves every value bit for bit', async () => {
    await useMode(mode)
    const k = context()
    try {
      for (const [rows, cols] of [
        [1, 1],
        [5, 7],
        [8, 4],
        [4, 9],
        [10, 13],
        [1176, 10],
        [10, 1176],
      ] as const) {
        const v = tiesAndSpecials(rows * cols, rows + cols)
        const src = k.put(v),
          dst = k.zeros(rows * cols)
        k.run('transpose_f32', [src, dst, rows, cols])
        const want = new Float32Array(rows * cols)
        for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) want[c * rows + r] = v[r * cols + c]!
        expect(bits(k.get(dst, rows * cols)), `${rows} x ${cols}`).toEqual(bits(want))
      }
    } finally {
      k.done()
    }
  })

  test('dot_rows_f32: row pairs give the same bits as single rows (last N % 4 columns), gemm_f32 rows as tiles', async () => {
    await useMode(mode)
    const k = context()
    try {
      for (const [n, K, N] of [
        [32, 1176, 10],
        [6, 45, 9],
        [4, 16, 3],
        [2, 13, 2],
        [8, 100, 7],
      ] as const) {
        const a = k.put(tiesAndSpecials(n * K, K)),
          b = k.put(tiesAndSpecials(N * K, N + 2))
        const pairs = k.zeros(n * N),
          single = k.zeros(n * N)
        k.run('dot_rows_f32', [a, b, pairs, N, K, 0, n])
        for (let m = 0; m < n; m++) k.run('dot_rows_f32', [a, b, single, N, K, m, m + 1])
        const p = k.get(pairs, n * N),
          q = k.get(single, n * N)
        const tail = (v: Float32Array) => bits(v.filter((_, i) => i % N >= (N & ~3)))
        expect(tail(p), `n ${n} K ${K} N ${N}`).toEqual(tail(q))
      }
      // gemm_f32: M = 32, 14, 8 (6-row tiles then two 4-row tiles) = one row at a time
      for (const M of [32, 14, 8, 7]) {
        const K = 10,
          N = 37
        const a = k.put(tiesAndSpecials(M * K, M)),
          b = k.put(tiesAndSpecials(K * N, M + 1))
        const c1 = k.zeros(M * N),
          c2 = k.zeros(M * N)
        k.run('gemm_f32', [a, K, 1, b, N, c1, N, M, N, K, 0])
        for (let r = 0; r < M; r++) k.run('gemm_f32', [a + r * K * 4, K, 1, b, N, c2 + r * N * 4, N, 1, N, K, 0])
        expect(bits(k.get(c1, M * N)), `M ${M}`).toEqual(bits(k.get(c2, M * N)))
      }
    } finally {
      k.done()
    }
  })

  test('adamw_transpose_f32 in any split = adamw_f32 then transpose_f32 of each weight, bit for bit', async () => {
    await useMode(mode)
    const k = context()
    try {
      // a flat parameter array with three matrices in it (not at its start, one at its end) and values between them
      const shapes = [
        [13, 10],
        [9, 7],
        [4, 5],
      ] as const
      const offsets = [3, 3 + 130 + 2, 3 + 130 + 2 + 63]
      const n = offsets[2]! + 20
      const pv = tiesAndSpecials(n, 60),
        gv = tiesAndSpecials(n, 61),
        mv = randn(n, 62),
        vv = randn(n, 63).map((x) => x * x)
      const hyper = [0.9, 0.999, 1e-8, 1 - 1e-3 * 0.01, 1e-3 / 0.1, Math.sqrt(0.002)] as const
      const p1 = k.put(pv),
        m1 = k.put(mv),
        v1 = k.put(vv),
        g = k.put(gv)
      k.run('adamw_f32', [p1, g, m1, v1, ...hyper, 0, n])
      const want = shapes.map(([r, c], i) => {
        const d = k.zeros(r * c)
        k.run('transpose_f32', [p1 + offsets[i]! * 4, d, r, c])
        return k.get(d, r * c)
      })
      // splits inside rows, on a row boundary, inside one row, and a range that holds no matrix
      for (const cuts of [
        [0, n],
        [0, 100, n],
        [0, 5, 8, 143, n],
        [0, 1, 2, n],
        [0, 20, 136, 150, 199, n],
      ]) {
        const p2 = k.put(pv),
          m2 = k.put(mv),
          v2 = k.put(vv)
        const dsts = shapes.map(([r, c]) => k.zeros(r * c))
        const table = k.ints(shapes.flatMap(([r, c], i) => [p2 + offsets[i]! * 4, dsts[i]!, r, c]))
        k.run(
          'adamw_transpose_f32',
          ...cuts.slice(1).map((i1, j) => [p2, g, m2, v2, ...hyper, cuts[j]!, i1, table, shapes.length] as const),
        )
        expect(bits(k.get(p2, n)), `p, ${cuts}`).toEqual(bits(k.get(p1, n)))
        expect(bits(k.get(m2, n)), `m, ${cuts}`).toEqual(bits(k.get(m1, n)))
        expect(bits(k.get(v2, n)), `v, ${cuts}`).toEqual(bits(k.get(v1, n)))
        shapes.forEach(([r, c], i) =>
          expect(bits(k.get(dsts[i]!, r * c)), `${r} x ${c}, ${cuts}`).toEqual(bits(want[i]!)),
        )
      }
    } finally {
      k.done()
    }
  })

  test.each([
    [32, 1176, 10],
    [7, 33, 9],
    [5, 8, 3],
    [3, 13, 1],
    [6, 27, 7],
    [1, 5, 11],
  ])(
    'dense_dw_f32 = the former split gemm_f32 (dyᵀ · x) then transpose_f32, bit for bit, in 1-3 ranges (n %i, K %i, C %i)',
    async (n, K, C) => {
      await useMode(mode)
      const k = context()
      try {
        const dy = k.put(tiesAndSpecials(n * C, 50)),
          x = k.put(tiesAndSpecials(n * K, 51))
        // the trainer's former calls: the GEMM split by 8 inputs, then one transpose
        const dwt = k.zeros(K * C),
          dw = k.zeros(K * C)
        const mid = Math.min(K, 8 * Math.round(K / 16))
        k.run(
          'gemm_f32',
          [dy, 1, C, x, K, dwt, K, C, mid, n, 0],
          [dy, 1, C, x + mid * 4, K, dwt + mid * 4, K, C, K - mid, n, 0],
        )
        k.run('transpose_f32', [dwt, dw, C, K])
        for (const cuts of [
          [0, K],
          [0, mid, K],
          [0, 8, Math.min(K, 24), K],
        ]) {
          const dwt2 = k.zeros(K * C),
            dw2 = k.zeros(K * C)
          k.run('dense_dw_f32', ...cuts.slice(1).map((k1, j) => [dy, x, dwt2, dw2, C, K, n, cuts[j]!, k1] as const))
          expect(bits(k.get(dw2, K * C)), `ranges ${cuts}`).toEqual(bits(k.get(dw, K * C)))
        }
      } finally {
        k.done()
      }
    },
  )

  // The reference is plain f32 arithmetic; in the relaxed-SIMD build the vector lanes (channels below C & ~3, not the
  // scalar tail) fuse their multiply-adds, emulated here as one rounding of the exact f64 product plus the addend (a
  // double rounding could differ in rare cases, but these inputs are fixed, so the test cannot flip between runs).
  test.each([[8], [7], [24], [3]])(
    'channel sums, batch-norm sums and gradient, scale/shift: the f32 block arithmetic of the reference (C = %i)',
    async (C) => {
      await useMode(mode)
      const k = context()
      try {
        // rows [r0, r1): several 4-block groups, a partial block; the range does not start at 0
        const rows = 1100,
          r0 = 3,
          r1 = 1090
        const xv = randn(rows * C, 5),
          dyv = randn(rows * C, 6)
        const shiftv = Float32Array.from({ length: C }, (_, c) => 0.1 * c - 0.2)
        // the ReLU mask's scale and shift (y = x·scale + shift > 0 for about half the elements)
        const rsv = Float32Array.from({ length: C }, (_, c) => 0.5 + 0.25 * c),
          rhv = Float32Array.from({ length: C }, (_, c) => 0.05 * c - 0.1)
        const x = k.put(xv),
          dy = k.put(dyv),
          shift = k.put(shiftv),
          rs = k.put(rsv),
          rh = k.put(rhv)
        const out = k.zeros(4 * C)
        // channel_sums_f32 with squares
        k.run('channel_sums_f32', [x, shift, C, r0, r1, 1, out])
        const sums = k.f64(out, 2 * C)
        // bn_grad_sums_f32 with the ReLU mask (mean: the shift above)
        k.run('bn_grad_sums_f32', [rs, rh, dy, x, shift, C, 1, r0, r1, out])
        const gsums = k.f64(out, 2 * C)
        const fusedLanes = mode.build === 'relaxed-simd' ? C & ~3 : 0
        /** a * b + c as the kernel computes it for channel `ch` */
        const madd = (ch: number, a: number, b: number, c: number): number =>
          ch < fusedLanes ? f32(a * b + c) : f32(f32(a * b) + c)
        const kept = (i: number, c: number): boolean => madd(c, xv[i]!, rsv[c]!, rhv[c]!) > 0
        for (let c = 0; c < C; c++) {
          let t1 = 0,
            t2 = 0,
            u1 = 0,
            u2 = 0
          for (let b = r0; b < r1; b += 64) {
            let s1 = 0,
              s2 = 0,
              g1 = 0,
              g2 = 0
            for (let r = b; r < Math.min(b + 64, r1); r++) {
              const i = r * C + c
              const d = f32(xv[i]! - shiftv[c]!)
              s1 = f32(s1 + d)
              s2 = madd(c, d, d, s2)
              const g = kept(i, c) ? dyv[i]! : 0
              g1 = f32(g1 + g)
              g2 = madd(c, g, d, g2)
            }
            t1 += s1
            t2 += s2
            u1 += g1
            u2 += g2
          }
          expect([sums[c], sums[C + c]], `channel_sums_f32 channel ${c}`).toEqual([t1, t2])
          expect([gsums[c], gsums[C + c]], `bn_grad_sums_f32 channel ${c}`).toEqual([u1, u2])
        }
        // bn_grad_f32 (in place, with the ReLU mask) and scale_shift_act_f32 (with ReLU), elementwise
        const coefv = randn(4 * C, 8)
        const coef = k.put(coefv)
        const dx = k.put(dyv)
        k.run('bn_grad_f32', [rs, rh, dx, x, dx, coef, C, 1, r0, 517], [rs, rh, dx, x, dx, coef, C, 1, 517, r1])
        const ys = k.zeros(rows * C)
        k.run('scale_shift_act_f32', [x, ys, coef, coef + 4 * C, C, 1, r0, r1])
        const gotDx = k.get(dx, rows * C),
          gotY = k.get(ys, rows * C)
        for (let r = r0; r < r1; r++) {
          for (let c = 0; c < C; c++) {
            const i = r * C + c
            const g = kept(i, c) ? dyv[i]! : 0
            const d = f32(xv[i]! - coefv[3 * C + c]!)
            const want = madd(c, coefv[c]!, g, madd(c, coefv[C + c]!, d, coefv[2 * C + c]!))
            if (gotDx[i] !== want) expect(gotDx[i], `bn_grad_f32 [${r}, ${c}]`).toBe(want)
            const v = madd(c, xv[i]!, coefv[c]!, coefv[C + c]!)
            if (gotY[i] !== (v < 0 ? 0 : v)) expect(gotY[i], `scale_shift_act_f32 [${r}, ${c}]`).toBe(v < 0 ? 0 : v)
          }
        }
      } finally {
        k.done()
      }
    },
  )
})
