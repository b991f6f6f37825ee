// The Winograd kernels (assembly/Winograd3x3.ts) against the direct 3x3 kernels they replace in the fused step, per
// layer shape of model C and the default network: CPU ms per call of one thread (forward, input gradient, filter
// gradient; Winograd's filter gradient by F(2x2, 3x3) and by F(4x4, 3x3)), the least of 5 rounds.
//   node --import tsx bench/winograd.ts        (WINO_T=8,16: block sizes to try instead of the defaults; WINO_REPS)
import * as tf from '@tensorflow/tfjs-core'
import { backend_util } from '@tensorflow/tfjs-core'
import { getSimdBackend, setThreadsCount } from '../src/index'
import { geometryInts, patchBlockRows } from '../src/kernels/_conv'
import { CONV_TILES, FILTER4_TILES, FILTER_TILES, transposedGeometry } from '../src/fused/winograd'

setThreadsCount(1)
await tf.setBackend('simd')
const rt = getSimdBackend()!.rt
const REPS = Number(process.env.WINO_REPS ?? 25)
const TS = (process.env.WINO_T ?? '').split(',').filter(Boolean).map(Number)
const cpu = () => {
  const c = process.cpuUsage()
  return (c.user + c.system) / 1000
}
const alloc = (floats: number, fill = true) => {
  const p = rt.heap.alloc(floats * 4)
  if (fill)
    rt.heap.f32().set(
      Float32Array.from({ length: floats }, (_, i) => Math.sin(i * 0.37)),
      p >> 2,
    )
  return p
}
/** The least CPU time per call of 5 rounds of REPS / 5 calls (the machine is shared: the minimum is the cost). */
function time(f: () => void): number {
  f()
  let best = Infinity
  const per = Math.max(1, Math.round(REPS / 5))
  for (let round = 0; round < 5; round++) {
    const t0 = cpu()
    for (let r = 0; r < per; r++) f()
    best = Math.min(best, (cpu() - t0) / per)
  }
  return best
}
const shapes: [number, number, number, number, 'same' | 'valid'][] = [
  [28, 8, 16, 64, 'same'],
  [14, 16, 32, 64, 'same'],
  [14, 8, 16, 64, 'same'],
  [7, 16, 32, 64, 'same'],
  [7, 32, 32, 64, 'valid'],
  [14, 8, 16, 32, 'same'],
  [7, 16, 24, 32, 'same'],
  [7, 24, 24, 32, 'same'],
]
for (const [S, C, OC, N, pad] of shapes) {
  const info = backend_util.computeConv2DInfo([N, S, S, C], [3, 3, C, OC], 1, 1, pad)
  const geoA = geometryInts(info)
  const geo = alloc(15, false)
  rt.heap.i32(geo, 15).set(geoA)
  const geoT = alloc(15, false)
  rt.heap.i32(geoT, 15).set(transposedGeometry(geoA))
  const x = alloc(N * S * S * C)
  const rows = N * info.outHeight * info.outWidth
  const dy = alloc(rows * OC)
  const y = alloc(rows * OC, false)
  const dx = alloc(N * S * S * C, false)
  const w = alloc(9 * C * OC)
  const wt = alloc(9 * C * OC)
  const u = alloc(36 * (C * OC + 16))
  const ut = alloc(36 * (C * OC + 16))
  const dw = alloc(9 * C * OC, false)
  const K = 9 * C
  const mb = patchBlockRows(K)
  const scratch = alloc(
    Math.max(mb * K, 36 * (64 * (C + OC) + 32) + 36 * (C * OC + 16) + 48 * 4 + 40 * 40 * Math.max(C, OC)) + 64,
    false,
  )
  rt.run('transpose_f32', [[w, wt, K, OC]])
  rt.run('winograd_weights_f32', [[w, u, C, OC, 0]])
  rt.run('winograd_weights_f32', [[w, ut, C, OC, 1]])
  const d = [
    time(() => rt.run('conv2d_f32', [[x, w, y, geo, 0, rows, scratch, mb]])),
    time(() => rt.run('conv2d_backprop_input_f32', [[dy, wt, dx, geo, 0, N, scratch, mb]])),
    time(() => rt.run('conv2d_backprop_filter_f32', [[x, dy, dw, geo, 0, rows, scratch, mb]])),
  ]
  const line = [`${S}x${S} ${C}->${OC} ${pad} n${N}`.padEnd(24), `direct ${d.map((v) => v.toFixed(3)).join(' ')}`]
  // forward and input gradient (F(4x4, 3x3)) with CONV_TILES or each of WINO_T; filter gradient by F(2x2, 3x3) and
  // by F(4x4, 3x3) with FILTER_TILES / FILTER4_TILES or each of WINO_T
  for (const T of TS.length ? TS : [0]) {
    const wv = [
      time(() => rt.run('winograd_conv_f32', [[x, u, y, geo, 0, N, scratch, T || CONV_TILES]])),
      time(() => rt.run('winograd_conv_f32', [[dy, ut, dx, geoT, 0, N, scratch, T || CONV_TILES]])),
      time(() => rt.run('winograd_filter_grad_f32', [[x, dy, dw, geo, 0, N, scratch, T || FILTER_TILES]])),
      time(() => rt.run('winograd4_filter_grad_f32', [[x, dy, dw, geo, 0, N, scratch, T || FILTER4_TILES]])),
    ]
    line.push(`winograd${T ? ` T${T}` : ''} ${wv.map((v) => v.toFixed(3)).join(' ')}`)
  }
  console.log(line.join(' | '))
}
process.exit(0)
