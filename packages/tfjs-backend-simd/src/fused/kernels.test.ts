// The fused trainer's faster kernels against the kernels (or the plain f32 arithmetic) they replace, bit for bit:
// training results were validated with the old numerics, so every rounding, tie and NaN must come out the same.
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, describe, expect, test } from 'vitest'
import '../index'
import { MODES, randn, useMode } from '../_testing'
import { setThreadsCount } from '../flags'
import type { SimdBackend } from '../backend'

afterAll(() => setThreadsCount(2))

const f32 = Math.fround

interface Ctx {
  run(name: string, ...jobs: number[][]): void
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

const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer, a.byteOffset, a.length))

/** Values with many exact ties (few levels), zeros of both signs, negatives and a NaN now and then. */
function tiesAndSpecials(n: number, seed: number): Float32Array {
  const r = randn(n, seed)
  return r.map((v, i) => (i % 97 === 13 ? NaN : i % 41 === 5 ? -0 : i % 3 === 0 ? Math.round(v * 2) / 2 : v))
}

describe.each(MODES)('fused kernels ($label)', (mode) => {
  // [N, H, W, C]: C a multiple of 4 (max_pool_grad_f32's 2x2 path) and not (its generic path)
  test.each([[3, 6, 8, 8], [2, 4, 6, 7], [1, 2, 2, 12], [2, 6, 4, 3]])(
    'bn_act_pool_f32 / bn_act_pool_grad_f32 = scale_shift_act + max_pool + max_pool_grad + ReLU mask, bit for bit (%i x %i x %i x %i)',
    async (N, H, W, C) => {
      await useMode(mode)
      const k = context()
      try {
        const OH = H / 2, OW = W / 2
        const rows = N * H * W, M = N * OH * OW
        const geoPtr = k.ints([N, H, W, C, OH, OW, C, 2, 2, 2, 2, 0, 0, 1, 1])
        const z = k.put(tiesAndSpecials(rows * C, 1))
        // scale 0 in one channel: a whole channel of ties
        const scale = k.put(Array.from({ length: C }, (_, c) => (c === 1 ? 0 : 0.5 + 0.25 * c)))
        const shift = k.put(Array.from({ length: C }, (_, c) => (c % 2 ? -0.25 : 0.125)))
        const dyp = k.put(tiesAndSpecials(M * C, 2).map((v, i) => (i % 29 === 3 ? -0 : v)))
        for (const relu of [1, 0]) {
          // the unfused kernels
          const y = k.zeros(rows * C), pooled = k.zeros(M * C), dx = k.zeros(rows * C)
          k.run('scale_shift_act_f32', [z, y, scale, shift, C, relu, 0, rows])
          k.run('max_pool_f32', [y, pooled, geoPtr, 0, M])
          k.run('max_pool_grad_f32', [dyp, y, dx, geoPtr, 0, N])
          if (relu) k.run('relu_grad_f32', [y, dx, 0, rows * C])
          // fused, split in two ranges (the first ends inside an output row)
          const split = Math.max(1, Math.floor(M / 2) - 1)
          const pooled2 = k.zeros(M * C), dz = k.zeros(rows * C)
          k.run('bn_act_pool_f32', [z, pooled2, scale, shift, geoPtr, relu, 0, split], [z, pooled2, scale, shift, geoPtr, relu, split, M])
          k.run('bn_act_pool_grad_f32', [z, dyp, dz, scale, shift, geoPtr, relu, 0, split], [z, dyp, dz, scale, shift, geoPtr, relu, split, M])
          expect(bits(k.get(pooled2, M * C)), `forward, relu ${relu}`).toEqual(bits(k.get(pooled, M * C)))
          expect(bits(k.get(dz, rows * C)), `backward, relu ${relu}`).toEqual(bits(k.get(dx, rows * C)))
        }
      } finally {
        k.done()
      }
    })

  test('dropout_mask_f32 / dropout_grad_f32 = dropout_f32 both ways, bit for bit, in any split', async () => {
    await useMode(mode)
    const k = context()
    try {
      const n = 1237
      const x = k.put(tiesAndSpecials(n, 3))
      const dy = k.put(tiesAndSpecials(n, 4))
      const mask = k.zeros(Math.ceil(n / 4))
      for (const [rate, seed] of [[0.05, 7], [0.5, 0xfffffff0], [0.3, 0]] as const) {
        const threshold = Math.round(rate * 4294967296) >>> 0
        const scale = 1 / (1 - rate)
        const y1 = k.zeros(n), y2 = k.zeros(n), dx1 = k.zeros(n), dx2 = k.zeros(n)
        k.run('dropout_f32', [x, y1, seed, threshold, scale, 0, n])
        k.run('dropout_f32', [dy, dx1, seed, threshold, scale, 0, n])
        k.run('dropout_mask_f32', [x, y2, mask, seed, threshold, scale, 0, 37], [x, y2, mask, seed, threshold, scale, 37, 1030], [x, y2, mask, seed, threshold, scale, 1030, n])
        k.run('dropout_grad_f32', [dy, dx2, mask, scale, 0, 517], [dy, dx2, mask, scale, 517, n])
        expect(bits(k.get(y2, n))).toEqual(bits(k.get(y1, n)))
        expect(bits(k.get(dx2, n))).toEqual(bits(k.get(dx1, n)))
      }
    } finally {
      k.done()
    }
  })

  test.each([[8], [7], [24], [3]])('bn_grad_sums_z_f32 / bn_grad_z_f32 = bn_grad_sums_f32 / bn_grad_f32 with y = scale_shift_act_f32(z), bit for bit (C = %i)',
    async (C) => {
      await useMode(mode)
      const k = context()
      try {
        // several 4-block groups, a partial block, a range not from 0; ties, NaN, -0, a channel of scale 0 and shift 0
        // (y = ±0 everywhere) and one of shift -z (y exactly 0 for the ties)
        const rows = 1100, r0 = 3, r1 = 1090, split = 517
        const z = k.put(tiesAndSpecials(rows * C, 70))
        const dyv = tiesAndSpecials(rows * C, 71)
        const scale = k.put(Array.from({ length: C }, (_, c) => (c === 1 ? 0 : c === 2 ? 2 : 0.75 - 0.125 * c)))
        const shift = k.put(Array.from({ length: C }, (_, c) => (c === 1 ? 0 : c === 2 ? -1 : 0.1 * c - 0.2)))
        const mean = k.put(Array.from({ length: C }, (_, c) => 0.05 * c))
        const coef = k.put(randn(4 * C, 72))
        const y = k.zeros(rows * C)
        k.run('scale_shift_act_f32', [z, y, scale, shift, C, 1, 0, rows])
        const dy = k.put(dyv)
        const o1 = k.zeros(4 * C), o2 = k.zeros(4 * C), o3 = k.zeros(4 * C), o4 = k.zeros(4 * C)
        k.run('bn_grad_sums_f32', [y, dy, z, mean, C, 1, r0, split, o1], [y, dy, z, mean, C, 1, split, r1, o2])
        k.run('bn_grad_sums_z_f32', [scale, shift, dy, z, mean, C, r0, split, o3], [scale, shift, dy, z, mean, C, split, r1, o4])
        expect(bits(k.get(o3, 4 * C)), 'sums, part 0').toEqual(bits(k.get(o1, 4 * C)))
        expect(bits(k.get(o4, 4 * C)), 'sums, part 1').toEqual(bits(k.get(o2, 4 * C)))
        // in place (dx = dy), as the trainer runs it
        const dx1 = k.put(dyv), dx2 = k.put(dyv)
        k.run('bn_grad_f32', [y, dx1, z, dx1, coef, C, 1, r0, split], [y, dx1, z, dx1, coef, C, 1, split, r1])
        k.run('bn_grad_z_f32', [scale, shift, dx2, z, dx2, coef, C, r0, split], [scale, shift, dx2, z, dx2, coef, C, split, r1])
        expect(bits(k.get(dx2, rows * C)), 'gradient').toEqual(bits(k.get(dx1, rows * C)))
      } finally {
        k.done()
      }
    })

  test('transpose_f32 (4x4 tiles and edges) moves every value bit for bit', async () => {
    await useMode(mode)
    const k = context()
    try {
      for (const [rows, cols] of [[1, 1], [5, 7], [8, 4], [4, 9], [10, 13], [1176, 10], [10, 1176]] as const) {
        const v = tiesAndSpecials(rows * cols, rows + cols)
        const src = k.put(v), dst = k.zeros(rows * cols)
        k.run('transpose_f32', [src, dst, rows, cols])
        const want = new Float32Array(rows * cols)
        for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) want[c * rows + r] = v[r * cols + c]!
        expect(bits(k.get(dst, rows * cols)), `${rows} x ${cols}`).toEqual(bits(want))
      }
    } finally {
      k.done()
    }
  })

  test('dense_dw_f32 = gemm_f32 (dWᵀ = dyᵀ·x) + transpose_f32, bit for bit, in any split by 8 inputs', async () => {
    await useMode(mode)
    const k = context()
    try {
      // [n, K, C]: the default dense layer, unit remainders 0-3, inputs not a multiple of 4, 8 or 16
      for (const [n, K, C] of [[32, 1176, 10], [7, 45, 9], [5, 36, 10], [3, 13, 1], [4, 19, 3], [9, 40, 5], [6, 27, 7], [2, 8, 2], [1, 5, 11], [8, 100, 6]] as const) {
        const x = k.put(tiesAndSpecials(n * K, K)), dy = k.put(tiesAndSpecials(n * C, C + 1))
        const dwt = k.zeros(K * C), want = k.zeros(K * C)
        k.run('gemm_f32', [dy, 1, C, x, K, dwt, K, C, K, n, 0])
        k.run('transpose_f32', [dwt, want, C, K])
        const half = Math.min(K, Math.round(K / 2 / 8) * 8)
        for (const parts of [[[0, K]], [[0, half], [half, K]]]) {
          const dw = k.zeros(K * C)
          k.run('dense_dw_f32', ...parts.map(([i0, i1]) => [dy, x, dw, C, K, n, i0!, i1!]))
          expect(bits(k.get(dw, K * C)), `n ${n} K ${K} C ${C} parts ${parts.length}`).toEqual(bits(k.get(want, K * C)))
        }
      }
    } finally {
      k.done()
    }
  })

  test('dot_rows_f32: row pairs give the same bits as single rows (last N % 4 columns), gemm_f32 rows as tiles', async () => {
    await useMode(mode)
    const k = context()
    try {
      for (const [n, K, N] of [[32, 1176, 10], [6, 45, 9], [4, 16, 3], [2, 13, 2], [8, 100, 7]] as const) {
        const a = k.put(tiesAndSpecials(n * K, K)), b = k.put(tiesAndSpecials(N * K, N + 2))
        const pairs = k.zeros(n * N), single = k.zeros(n * N)
        k.run('dot_rows_f32', [a, b, pairs, N, K, 0, n])
        for (let m = 0; m < n; m++) k.run('dot_rows_f32', [a, b, single, N, K, m, m + 1])
        const p = k.get(pairs, n * N), q = k.get(single, n * N)
        const tail = (v: Float32Array) => bits(v.filter((_, i) => i % N >= (N & ~3)))
        expect(tail(p), `n ${n} K ${K} N ${N}`).toEqual(tail(q))
      }
      // gemm_f32: M = 32, 14, 8 (6-row tiles then two 4-row tiles) = one row at a time
      for (const M of [32, 14, 8, 7]) {
        const K = 10, N = 37
        const a = k.put(tiesAndSpecials(M * K, M)), b = k.put(tiesAndSpecials(K * N, M + 1))
        const c1 = k.zeros(M * N), c2 = k.zeros(M * N)
        k.run('gemm_f32', [a, K, 1, b, N, c1, N, M, N, K, 0])
        for (let r = 0; r < M; r++) k.run('gemm_f32', [a + r * K * 4, K, 1, b, N, c2 + r * N * 4, N, 1, N, K, 0])
        expect(bits(k.get(c1, M * N)), `M ${M}`).toEqual(bits(k.get(c2, M * N)))
      }
    } finally {
      k.done()
    }
  })

  test('transpose_list_f32 / add_into_list_f32 in parts = transpose_f32 / add_into_f32 per matrix, bit for bit', async () => {
    await useMode(mode)
    const k = context()
    try {
      const shapes = [[1176, 10], [72, 16], [5, 7], [1, 1], [216, 24], [10, 13], [3, 4]] as const
      const P = 64
      const srcs = shapes.map(([r, c], i) => k.put(tiesAndSpecials(r * c, 11 + i)))
      const want = shapes.map(([r, c], i) => {
        const d = k.zeros(r * c)
        k.run('transpose_f32', [srcs[i]!, d, r, c])
        return k.get(d, r * c)
      })
      // one call, two ranges of parts on two threads (the first boundary not at half), three ranges one after another
      for (const cuts of [[0, P], [0, 29, P], [0, 1, 40, P]]) {
        const dsts = shapes.map(([r, c]) => k.zeros(r * c))
        const table = k.ints(shapes.flatMap(([r, c], i) => [srcs[i]!, dsts[i]!, r, c]))
        k.run('transpose_list_f32', ...cuts.slice(1).map((p1, j) => [table, shapes.length, cuts[j]!, p1, P]))
        shapes.forEach(([r, c], i) => expect(bits(k.get(dsts[i]!, r * c)), `${r} x ${c}, parts ${cuts}`).toEqual(bits(want[i]!)))
      }
      const sizes = [72, 1152, 5, 1, 3456, 7]
      const a = sizes.map((n, i) => tiesAndSpecials(n, 30 + i)), b = sizes.map((n, i) => tiesAndSpecials(n, 40 + i).map((v, j) => (j % 5 === 1 ? -0 : v)))
      const ref = sizes.map((n, i) => {
        const d = k.put(a[i]!)
        k.run('add_into_f32', [d, k.put(b[i]!), n])
        return k.get(d, n)
      })
      for (const cuts of [[0, P], [0, 33, P], [0, 3, 50, P]]) {
        const dsts = sizes.map((_, i) => k.put(a[i]!))
        const table = k.ints(sizes.flatMap((n, i) => [dsts[i]!, k.put(b[i]!), n, 0]))
        k.run('add_into_list_f32', ...cuts.slice(1).map((p1, j) => [table, sizes.length, cuts[j]!, p1, P]))
        sizes.forEach((n, i) => expect(bits(k.get(dsts[i]!, n)), `${n}, parts ${cuts}`).toEqual(bits(ref[i]!)))
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
      const shapes = [[13, 10], [9, 7], [4, 5]] as const
      const offsets = [3, 3 + 130 + 2, 3 + 130 + 2 + 63]
      const n = offsets[2]! + 20
      const pv = tiesAndSpecials(n, 60), gv = tiesAndSpecials(n, 61), mv = randn(n, 62), vv = randn(n, 63).map((x) => x * x)
      const hyper = [0.9, 0.999, 1e-8, 1 - 1e-3 * 0.01, 1e-3 / 0.1, Math.sqrt(0.002)]
      const p1 = k.put(pv), m1 = k.put(mv), v1 = k.put(vv), g = k.put(gv)
      k.run('adamw_f32', [p1, g, m1, v1, ...hyper, 0, n])
      const want = shapes.map(([r, c], i) => {
        const d = k.zeros(r * c)
        k.run('transpose_f32', [p1 + offsets[i]! * 4, d, r, c])
        return k.get(d, r * c)
      })
      // splits inside rows, on a row boundary, inside one row, and a range that holds no matrix
      for (const cuts of [[0, n], [0, 100, n], [0, 5, 8, 143, n], [0, 1, 2, n], [0, 20, 136, 150, 199, n]]) {
        const p2 = k.put(pv), m2 = k.put(mv), v2 = k.put(vv)
        const dsts = shapes.map(([r, c]) => k.zeros(r * c))
        const table = k.ints(shapes.flatMap(([r, c], i) => [p2 + offsets[i]! * 4, dsts[i]!, r, c]))
        k.run('adamw_transpose_f32', ...cuts.slice(1).map((i1, j) => [p2, g, m2, v2, ...hyper, cuts[j]!, i1, table, shapes.length]))
        expect(bits(k.get(p2, n)), `p, ${cuts}`).toEqual(bits(k.get(p1, n)))
        expect(bits(k.get(m2, n)), `m, ${cuts}`).toEqual(bits(k.get(m1, n)))
        expect(bits(k.get(v2, n)), `v, ${cuts}`).toEqual(bits(k.get(v1, n)))
        shapes.forEach(([r, c], i) => expect(bits(k.get(dsts[i]!, r * c)), `${r} x ${c}, ${cuts}`).toEqual(bits(want[i]!)))
      }
    } finally {
      k.done()
    }
  })

  test.each([[32, 1176, 10], [7, 33, 9], [5, 8, 3]])('dense_dw_f32 = the former split gemm_f32 (dyᵀ · x) then transpose_f32, bit for bit, in 1-3 ranges (n %i, K %i, C %i)',
    async (n, K, C) => {
      await useMode(mode)
      const k = context()
      try {
        const dy = k.put(tiesAndSpecials(n * C, 50)), x = k.put(tiesAndSpecials(n * K, 51))
        // the trainer's former calls: the GEMM split by 8 inputs, then one transpose
        const dwt = k.zeros(K * C), dw = k.zeros(K * C)
        const mid = Math.min(K, 8 * Math.round(K / 16))
        k.run('gemm_f32', [dy, 1, C, x, K, dwt, K, C, mid, n, 0], [dy, 1, C, x + mid * 4, K, dwt + mid * 4, K, C, K - mid, n, 0])
        k.run('transpose_f32', [dwt, dw, C, K])
        for (const cuts of [[0, K], [0, mid, K], [0, 8, Math.min(K, 24), K]]) {
          const dw2 = k.zeros(K * C)
          k.run('dense_dw_f32', ...cuts.slice(1).map((k1, j) => [dy, x, dw2, C, K, n, cuts[j]!, k1]))
          expect(bits(k.get(dw2, K * C)), `ranges ${cuts}`).toEqual(bits(k.get(dw, K * C)))
        }
      } finally {
        k.done()
      }
    })

  // The reference is plain f32 arithmetic; in the relaxed-SIMD build the vector lanes (channels below C & ~3, not the
  // scalar tail) fuse their multiply-adds, emulated here as one rounding of the exact f64 product plus the addend (a
  // double rounding could differ in rare cases, but these inputs are fixed, so the test cannot flip between runs).
  test.each([[8], [7], [24], [3]])(
    'channel sums, batch-norm sums and gradient, scale/shift: the f32 block arithmetic of the reference (C = %i)', async (C) => {
      await useMode(mode)
      const k = context()
      try {
        // rows [r0, r1): several 4-block groups, a partial block; the range does not start at 0
        const rows = 1100, r0 = 3, r1 = 1090
        const xv = randn(rows * C, 5), dyv = randn(rows * C, 6), yv = randn(rows * C, 7)
        const shiftv = Float32Array.from({ length: C }, (_, c) => 0.1 * c - 0.2)
        const x = k.put(xv), dy = k.put(dyv), y = k.put(yv), shift = k.put(shiftv)
        const out = k.zeros(4 * C)
        // channel_sums_f32 with squares
        k.run('channel_sums_f32', [x, shift, C, r0, r1, 1, out])
        const sums = k.f64(out, 2 * C)
        // bn_grad_sums_f32 with the ReLU mask
        k.run('bn_grad_sums_f32', [y, dy, x, shift, C, 1, r0, r1, out])
        const gsums = k.f64(out, 2 * C)
        const fusedLanes = mode.build === 'relaxed-simd' ? C & ~3 : 0
        /** a * b + c as the kernel computes it for channel `ch` */
        const madd = (ch: number, a: number, b: number, c: number): number => (ch < fusedLanes ? f32(a * b + c) : f32(f32(a * b) + c))
        for (let c = 0; c < C; c++) {
          let t1 = 0, t2 = 0, u1 = 0, u2 = 0
          for (let b = r0; b < r1; b += 64) {
            let s1 = 0, s2 = 0, g1 = 0, g2 = 0
            for (let r = b; r < Math.min(b + 64, r1); r++) {
              const i = r * C + c
              const d = f32(xv[i]! - shiftv[c]!)
              s1 = f32(s1 + d)
              s2 = madd(c, d, d, s2)
              const g = yv[i]! > 0 ? dyv[i]! : 0
              g1 = f32(g1 + g)
              g2 = madd(c, g, d, g2)
            }
            t1 += s1; t2 += s2; u1 += g1; u2 += g2
          }
          expect([sums[c], sums[C + c]], `channel_sums_f32 channel ${c}`).toEqual([t1, t2])
          expect([gsums[c], gsums[C + c]], `bn_grad_sums_f32 channel ${c}`).toEqual([u1, u2])
        }
        // bn_grad_f32 (in place, with the ReLU mask) and scale_shift_act_f32 (with ReLU), elementwise
        const coefv = randn(4 * C, 8)
        const coef = k.put(coefv)
        const dx = k.put(dyv)
        k.run('bn_grad_f32', [y, dx, x, dx, coef, C, 1, r0, 517], [y, dx, x, dx, coef, C, 1, 517, r1])
        const ys = k.zeros(rows * C)
        k.run('scale_shift_act_f32', [x, ys, coef, coef + 4 * C, C, 1, r0, r1])
        const gotDx = k.get(dx, rows * C), gotY = k.get(ys, rows * C)
        for (let r = r0; r < r1; r++) {
          for (let c = 0; c < C; c++) {
            const i = r * C + c
            const g = yv[i]! > 0 ? dyv[i]! : 0
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
    })
})
