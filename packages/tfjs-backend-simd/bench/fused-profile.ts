import * as tf from '@tensorflow/tfjs-core'
import { FusedTrainer, registerSimdBackend, setThreadsCount, getSimdBackend, type FusedNetwork } from '../src/index'
const conv = (filters: number) => [
  { type: 'conv2d', filters, kernelSize: [3, 3], padding: 'same', useBias: false },
  { type: 'batchNorm', epsilon: 1e-5, momentum: 0.9 }, { type: 'relu' }] as const
const NET: FusedNetwork = { inputShape: [28, 28, 1], layers: [...conv(8), { type: 'maxPool', poolSize: [2, 2] }, ...conv(16), { type: 'maxPool', poolSize: [2, 2] }, ...conv(24), ...conv(24), { type: 'flatten' }, { type: 'dropout', rate: 0.05 }, { type: 'dense', units: 10, useBias: true }] as never }
const B = Number(process.env.B ?? 32)
const threads = Number(process.env.T ?? 1)
setThreadsCount(threads)
registerSimdBackend({})
await tf.setBackend('simd')
const rt = getSimdBackend()!.rt
const t = new FusedTrainer(NET, { batchSize: B, labelSmoothing: 0.05 })
t.setWeights(t.paramSpecs.map((s) => Float32Array.from({ length: s.size }, () => (Math.random() - 0.5) * 0.2)))
const images = Float32Array.from({ length: B * 784 }, () => Math.random())
const labels = Array.from({ length: B }, (_, i) => i % 10)
const h = { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 }
for (let i = 0; i < 30; i++) t.trainStep({ images, labels, dropoutSeed: i }, h)
const orig = rt.run.bind(rt)
const times = new Map<string, number>()
let seq = 0
rt.run = (name: string, jobs: number[][]) => { const t0 = performance.now(); orig(name, jobs); const k = `${String(seq++).padStart(2)} ${name} x${jobs.length}`; times.set(k, (times.get(k) ?? 0) + performance.now() - t0) }
const steps = 200
const t0 = performance.now()
for (let i = 0; i < steps; i++) { seq = 0; t.trainStep({ images, labels, dropoutSeed: i }, h) }
const total = (performance.now() - t0) / steps
let inK = 0
for (const [k, v] of times) { inK += v / steps; console.log(k.padEnd(40), (v / steps * 1000).toFixed(0).padStart(6), 'us') }
console.log(`total ${total.toFixed(2)} ms/step, in kernels ${inK.toFixed(2)} ms`)
process.exit(0)
