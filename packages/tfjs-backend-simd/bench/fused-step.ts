// ms per step of the FusedTrainer on the default @mnist/model network (batch 32 unless BENCH_BATCH), 1 and 2 threads
// interleaved in one process (the machine is shared: rounds alternate, the best round counts), then the time of each
// wasm call of one step on 2 threads (BENCH_PROFILE_THREADS=1: on one; BENCH_PROFILE=0 skips it). BENCH_ROUNDS
// (default 4) rounds of BENCH_STEPS (default 100) steps per thread count.
//   node --import tsx bench/fused-step.ts
import * as tf from '@tensorflow/tfjs-core'
import { cpus, loadavg } from 'node:os'
import type { KernelArgs, KernelName } from '../src/runtime'
import {
  FusedTrainer,
  getSimdBackend,
  setThreadsCount,
  simdFeatures,
  type FusedLayer,
  type FusedNetwork,
} from '../src/index'

const B = Number(process.env.BENCH_BATCH ?? 32)
const STEPS = Number(process.env.BENCH_STEPS ?? 100)
const conv = (filters: number): FusedLayer[] => [
  { type: 'conv2d', filters, kernelSize: [3, 3], padding: 'same', useBias: false },
  { type: 'batchNorm', epsilon: 1e-5, momentum: 0.9 },
  { type: 'relu' },
]
const NET: FusedNetwork = {
  inputShape: [28, 28, 1],
  layers: [
    ...conv(8),
    { type: 'maxPool', poolSize: [2, 2] },
    ...conv(16),
    { type: 'maxPool', poolSize: [2, 2] },
    ...conv(24),
    ...conv(24),
    { type: 'flatten' },
    { type: 'dropout', rate: 0.05 },
    { type: 'dense', units: 10, useBias: true },
  ],
}

await tf.setBackend('simd')
console.log(
  `machine: ${cpus().length} x ${cpus()[0]?.model}, node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
)
console.log(`simd build: ${simdFeatures().build}, batch ${B}`)
// Fixed thread counts here: the adaptive choice would switch within a round.
const trainer = new FusedTrainer(NET, { batchSize: B, labelSmoothing: 0.05, adaptiveThreads: false })
let seed = 1
const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296
trainer.setWeights(
  trainer.paramSpecs.map((s) =>
    Float32Array.from({ length: s.size }, () => (s.name === 'gamma' ? 1 : (rand() - 0.5) * 0.3)),
  ),
)
const images = Float32Array.from({ length: B * 784 }, () => rand() * 2 - 0.4)
const labels = Array.from({ length: B }, (_, i) => i % 10)
const h = { learningRate: 0.001, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 }
const rounds = new Map<number, number[]>()
for (let round = 0; round < Number(process.env.BENCH_ROUNDS ?? 4); round++) {
  for (const threads of [1, 2]) {
    setThreadsCount(threads)
    for (let i = 0; i < 200 && getSimdBackend()!.rt.threads !== threads; i++)
      await new Promise((r) => setTimeout(r, 10))
    for (let i = 0; i < 10; i++) trainer.trainStep({ images, labels, dropoutSeed: i }, h)
    const t0 = performance.now()
    for (let i = 0; i < STEPS; i++) trainer.trainStep({ images, labels, dropoutSeed: i }, h)
    rounds.set(threads, [...(rounds.get(threads) ?? []), (performance.now() - t0) / STEPS])
  }
}
for (const [threads, v] of rounds) {
  const ms = Math.min(...v)
  console.log(
    `${threads} thread(s): ${ms.toFixed(2)} ms/step (rounds ${v.map((x) => x.toFixed(2)).join(' ')}), ` +
      `${Math.ceil(60000 / B)} steps = ${((ms * Math.ceil(60000 / B)) / 1000).toFixed(1)} s`,
  )
}

if (process.env.BENCH_PROFILE !== '0') {
  // BENCH_PROFILE_THREADS: profile on this many threads (default: 2, the last round's)
  const profileThreads = Number(process.env.BENCH_PROFILE_THREADS ?? 2)
  setThreadsCount(profileThreads)
  for (let i = 0; i < 200 && getSimdBackend()!.rt.threads !== profileThreads; i++)
    await new Promise((r) => setTimeout(r, 10))
  for (let i = 0; i < 10; i++) trainer.trainStep({ images, labels, dropoutSeed: i }, h)
  const rt = getSimdBackend()!.rt
  const run = rt.run.bind(rt)
  const times = new Map<string, number[]>()
  let call = 0
  rt.run = <K extends KernelName>(name: K, jobs: readonly KernelArgs<K>[]) => {
    const t0 = performance.now()
    run(name, jobs)
    const key = `${String(call++).padStart(2)} ${name} x${jobs.length}`
    const v = times.get(key) ?? []
    v.push(performance.now() - t0)
    times.set(key, v)
  }
  const t0 = performance.now()
  for (let i = 0; i < STEPS; i++) {
    call = 0
    trainer.trainStep({ images, labels, dropoutSeed: i }, h)
  }
  const total = (performance.now() - t0) / STEPS
  rt.run = run
  let inCalls = 0
  // the mean and the median of the steps (a preempted call inflates the mean)
  console.log(`\nwasm calls of one step (${rt.threads} threads; "xN" = split over N threads), µs: mean, median`)
  let inMedian = 0
  for (const [k, v] of times) {
    const mean = v.reduce((a, b) => a + b, 0) / STEPS
    const median = v.sort((a, b) => a - b)[v.length >> 1]!
    inCalls += mean
    inMedian += median
    console.log(`  ${k.padEnd(40)} ${(mean * 1000).toFixed(0).padStart(5)} ${(median * 1000).toFixed(1).padStart(7)}`)
  }
  console.log(`sum of the medians ${inMedian.toFixed(2)} ms`)
  console.log(
    `step ${total.toFixed(2)} ms, in wasm calls ${inCalls.toFixed(2)} ms, outside ${(100 * (1 - inCalls / total)).toFixed(0)} %`,
  )
}
trainer.dispose()
process.exit(0)
