// The one-thread ("x1") calls of a 2-thread training step against their replacements, on the default network's shapes
// (batch 32), interleaved in one process: µs per call sequence, the best of BENCH_ROUNDS rounds.
//   node --import tsx bench/critical-path.ts
import * as tf from '@tensorflow/tfjs-core'
import { getSimdBackend, setThreadsCount } from '../src/index'

await tf.setBackend('simd')
setThreadsCount(2)
for (let i = 0; i < 200 && getSimdBackend()!.rt.threads !== 2; i++) await new Promise((r) => setTimeout(r, 10))
const rt = getSimdBackend()!.rt
const alloc = (floats: number, fill = 0.5) => {
  const p = rt.heap.alloc(Math.max(1, floats) * 4)
  const f = rt.heap.f32()
  for (let i = 0; i < floats; i++) f[(p >> 2) + i] = fill * Math.sin(i)
  return p
}
const ints = (v: number[]) => {
  const p = rt.heap.alloc(v.length * 4)
  rt.heap.i32(p, v.length).set(v)
  return p
}
const run = (name: string, ...jobs: number[][]) => rt.run(name, jobs)
const P = 64

// channel sums of a 7x7x24 layer (rows 1568), two fixed partials
const rows = 32 * 49, C = 24
const x = alloc(rows * C), shift = alloc(C), s0 = alloc(4 * C), s1 = alloc(4 * C)
// weight transposes: dense [1176, 10], conv [72, 16], [144, 24], [216, 24]
const mats = [[1176, 10], [72, 16], [144, 24], [216, 24]].map(([r, c]) => [alloc(r! * c!), alloc(r! * c!), r!, c!])
const tTable = ints(mats.flat())
// dW partial adds: 72, 1152, 3456, 5184
const adds = [72, 1152, 3456, 5184].map((n) => [alloc(n), alloc(n), n, 0])
const aTable = ints(adds.flat())
// dropout grad over 32 x 1176
const dn = 32 * 1176
const dy = alloc(dn), dx = alloc(dn), mask = rt.heap.alloc(dn)
// dense dW: dy [32, 10], x [32, 1176]
const K = 1176, U = 10
const ddy = alloc(32 * U), dxx = alloc(32 * K), dwt = alloc(K * U), dw = alloc(K * U)

// batch-norm backward of a 7x7x24 layer with ReLU: y read vs the mask recomputed from z
const bz = alloc(rows * C), by = alloc(rows * C), bdy = alloc(rows * C), bdx = alloc(rows * C), sc = alloc(C, 1), sh = alloc(C, 0.1), coef = alloc(4 * C)
const bmean = alloc(C)
const half = rows / 2
const cases: Record<string, () => void> = {
  'bn_grad_sums_f32 x2 (reads y)': () => run('bn_grad_sums_f32', [by, bdy, bz, bmean, C, 1, 0, half, s0], [by, bdy, bz, bmean, C, 1, half, rows, s1]),
  'bn_grad_sums_z_f32 x2 (mask from z)': () => run('bn_grad_sums_z_f32', [sc, sh, bdy, bz, bmean, C, 0, half, s0], [sc, sh, bdy, bz, bmean, C, half, rows, s1]),
  'bn_grad_f32 x2 (reads y)': () => run('bn_grad_f32', [by, bdy, bz, bdx, coef, C, 1, 0, half], [by, bdy, bz, bdx, coef, C, 1, half, rows]),
  'bn_grad_z_f32 x2 (mask from z)': () => run('bn_grad_z_f32', [sc, sh, bdy, bz, bdx, coef, C, 0, half], [sc, sh, bdy, bz, bdx, coef, C, half, rows]),
  'channel_sums 2 parts, sequential': () => { run('channel_sums_f32', [x, shift, C, 0, 784, 1, s0]); run('channel_sums_f32', [x, shift, C, 784, rows, 1, s1]) },
  'channel_sums 2 parts, parallel': () => run('channel_sums_f32', [x, shift, C, 0, 784, 1, s0], [x, shift, C, 784, rows, 1, s1]),
  'transpose_f32 x1, 4 calls': () => { for (const m of mats) run('transpose_f32', m) },
  'transpose_list_f32 x1': () => run('transpose_list_f32', [tTable, 4, 0, P, P]),
  'transpose_list_f32 x2': () => run('transpose_list_f32', [tTable, 4, 0, P / 2, P], [tTable, 4, P / 2, P, P]),
  'add_into_f32 x1, 4 calls': () => { for (const a of adds) run('add_into_f32', a.slice(0, 3)) },
  'add_into_list_f32 x1': () => run('add_into_list_f32', [aTable, 4, 0, P, P]),
  'add_into_list_f32 x2': () => run('add_into_list_f32', [aTable, 4, 0, P / 2, P], [aTable, 4, P / 2, P, P]),
  'dropout_grad_f32 x1': () => run('dropout_grad_f32', [dy, dx, mask, 1.05, 0, dn]),
  'dropout_grad_f32 x2': () => run('dropout_grad_f32', [dy, dx, mask, 1.05, 0, dn / 2], [dy, dx, mask, 1.05, dn / 2, dn]),
  'dense dW: gemm x2 + transpose x1': () => {
    run('gemm_f32', [ddy, 1, U, dxx, K, dwt, K, U, 592, 32, 0], [ddy, 1, U, dxx + 592 * 4, K, dwt + 592 * 4, K, U, K - 592, 32, 0])
    run('transpose_f32', [dwt, dw, U, K])
  },
  'dense dW: dense_dw_f32 x2': () => run('dense_dw_f32', [ddy, dxx, dwt, dw, U, K, 32, 0, 592], [ddy, dxx, dwt, dw, U, K, 32, 592, K]),
}
const best = new Map<string, number>()
const REPS = 200
for (let round = 0; round < Number(process.env.BENCH_ROUNDS ?? 15); round++) {
  for (const [name, f] of Object.entries(cases)) {
    for (let i = 0; i < 20; i++) f()
    const t0 = performance.now()
    for (let i = 0; i < REPS; i++) f()
    const us = ((performance.now() - t0) / REPS) * 1000
    best.set(name, Math.min(best.get(name) ?? Infinity, us))
  }
}
for (const [name, us] of best) console.log(`${name.padEnd(40)} ${us.toFixed(1).padStart(6)} µs`)
process.exit(0)
