// Per-kernel time of one training step of model C: `node --import tsx bench/profile.ts [backend] [steps]`.
import * as tf from '@tensorflow/tfjs-core'
import '../src/index'
import { buildModelC, JsAdamW, randomBatch, trainableVariables, trainStep } from './model'

const backend = process.argv[2] ?? 'simd'
const steps = Number(process.argv[3] ?? 5)
await tf.setBackend(backend)
// The shared 2-core machine preempts us at random: time kernels by this process's CPU time, not wall time.
const b = tf.backend() as unknown as { time: (f: () => void) => Promise<{ kernelMs: number }> }
if (process.env.PROFILE_WALL !== '1') {
  b.time = async (f) => {
    const c0 = process.cpuUsage()
    f()
    const c = process.cpuUsage(c0)
    return { kernelMs: (c.user + c.system) / 1000 }
  }
}
const model = buildModelC()
const opt = new JsAdamW(trainableVariables(model))
const { xs, ys } = randomBatch(64, 7)
trainStep(model, opt, xs, ys, 64)
const totals = new Map<string, { ms: number; n: number }>()
let wall = 0
for (let i = 0; i < steps; i++) {
  const t0 = process.cpuUsage()
  const info = await tf.profile(() => {
    trainStep(model, opt, xs, ys, 64)
  })
  const c = process.cpuUsage(t0)
  wall += (c.user + c.system) / 1000
  for (const k of info.kernels) {
    const e = totals.get(k.name) ?? { ms: 0, n: 0 }
    e.ms += k.kernelTimeMs as number
    e.n++
    totals.set(k.name, e)
  }
}
const rows = [...totals].sort((a, b) => b[1].ms - a[1].ms)
const kernelMs = rows.filter(([n]) => !n.endsWith('__op')).reduce((a, [, e]) => a + e.ms, 0) / steps
console.log(`${backend}: ${(wall / steps).toFixed(1)} ms CPU/step (profiled), kernels ${kernelMs.toFixed(1)} ms`)
for (const [name, e] of rows.filter(([n]) => !n.endsWith('__op')).slice(0, 40))
  console.log(`${name.padEnd(28)} ${(e.ms / steps).toFixed(2).padStart(8)} ms  x${e.n / steps}`)
