// Where model C's fused step and fused inference spend their time, per stage and kernel: wraps the runtime's `run`
// (bench only, not the product's hot path) and sums the wall time of each call under "stage kernel".
//   node --import tsx bench/stages.ts
// env: STAGES_STEPS (training steps timed, default 60),
//      BENCH_THREADS (default 2), STAGES_CPU=1: time calls by this process's CPU time (with BENCH_THREADS=1: what
//      each kernel costs, without the waits of a preempted thread on a loaded machine).
import * as tf from '@tensorflow/tfjs-core'
import { loadavg } from 'node:os'
import { FusedTrainer, fusedNetworkFromSpec, getSimdBackend, setThreadsCount } from '../src/index'
import { MODEL_C } from '../src/fused/_reference'

const STEPS = Number(process.env.STAGES_STEPS ?? 60)
const THREADS = Number(process.env.BENCH_THREADS ?? 2)

setThreadsCount(THREADS)
await tf.setBackend('simd')
const backend = getSimdBackend()!
for (let i = 0; i < 500 && backend.rt.threads < THREADS; i++) await new Promise((r) => setTimeout(r, 10))
const rt = backend.rt as unknown as { run: (name: string, jobs: readonly (readonly number[])[]) => void }
const original = rt.run.bind(rt)
const totals = new Map<string, number>()
let geoStage = new Map<number, string>()
const CPU = process.env.STAGES_CPU === '1'
const cpuMs = () => {
  const c = process.cpuUsage()
  return (c.user + c.system) / 1000
}
const clock = CPU ? cpuMs : () => performance.now()
rt.run = (name, jobs) => {
  const t0 = clock()
  original(name, jobs)
  const dt = clock() - t0
  // conv kernels: the stage from the geometry block (argument 3)
  const geo = name.startsWith('conv2d') || name.startsWith('winograd') ? geoStage.get(jobs[0]![3]!) : undefined
  const key = `${geo ?? ''} ${name}`
  totals.set(key, (totals.get(key) ?? 0) + dt)
}

function stageNames(trainer: FusedTrainer): Map<number, string> {
  const buffers = (trainer as unknown as { buffers: { geo: number; geoT: number }[] }).buffers
  const m = new Map<number, string>()
  trainer.plan.stages.forEach((s, i) => {
    if (s.kind === 'linear' && s.conv) {
      const c = s.conv
      const name = `#${i} ${c.filterHeight}x${c.filterWidth} ${c.inChannels}->${c.outChannels} ${c.outHeight}x${c.outWidth}`
      m.set(buffers[i]!.geo, name)
      // a Winograd layer's input gradient runs winograd_conv_f32 on its transposed geometry
      if (buffers[i]!.geoT) m.set(buffers[i]!.geoT, `${name} (input grad)`)
    }
  })
  return m
}

function report(title: string, ms: number, per: number): void {
  const rows = [...totals].sort((a, b) => b[1] - a[1])
  const sum = rows.reduce((a, [, v]) => a + v, 0)
  console.log(`\n${title}: ${(ms / per).toFixed(2)} ms per unit wall, kernels ${(sum / per).toFixed(2)} ms`)
  for (const [k, v] of rows.slice(0, 30))
    console.log(`${k.padEnd(52)} ${(v / per).toFixed(3).padStart(8)} ms ${((100 * v) / sum).toFixed(1).padStart(5)} %`)
  totals.clear()
}

const trainer = new FusedTrainer(fusedNetworkFromSpec(MODEL_C), { batchSize: 64 })
geoStage = stageNames(trainer)
const images = Float32Array.from({ length: 64 * 784 }, (_, i) => ((i * 2654435761) % 1000) / 500 - 1)
const labels = Array.from({ length: 64 }, (_, i) => i % 10)
const h = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 }
for (let s = 0; s < 10; s++) trainer.trainStep({ images, labels, dropoutSeed: s }, h)
totals.clear()
let t0 = performance.now()
for (let s = 0; s < STEPS; s++) trainer.trainStep({ images, labels, dropoutSeed: s }, h)
console.log(
  `load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}, threads in use ${trainer.threadsInUse}`,
)
report(`model C training step (batch 64, ${STEPS} steps)`, performance.now() - t0, STEPS)
trainer.dispose()

// inference as SimdBackend.fusedPredict runs it (batch norm folded), 1000 images per call
const shapes = new FusedTrainer(fusedNetworkFromSpec(MODEL_C), { batchSize: 1 })
const weights = [
  ...shapes.paramSpecs.map((p, i) =>
    tf.tensor(
      Float32Array.from({ length: p.size }, (_, k) => (p.name === 'gamma' ? 1 : Math.sin(i + k) * 0.3)),
      p.shape,
    ),
  ),
  ...shapes.stateSpecs.map((s) => tf.fill(s.shape, s.name === 'movingVariance' ? 1 : 0)),
]
shapes.dispose()
const batch = tf.tensor4d(
  Float32Array.from({ length: 1000 * 784 }, (_, i) => ((i * 2654435761) % 1000) / 500 - 1),
  [1000, 28, 28, 1],
)
tf.dispose(backend.fusedPredict(MODEL_C, weights, batch))
const entries = (backend as unknown as { predictor: { entries: { trainer: FusedTrainer }[] } }).predictor.entries
geoStage = stageNames(entries[0]!.trainer)
totals.clear()
t0 = performance.now()
for (let r = 0; r < 5; r++) tf.dispose(backend.fusedPredict(MODEL_C, weights, batch))
const ms = performance.now() - t0
report(`model C fusedPredict, per 1000 images; ${((5000 / ms) * 1000).toFixed(0)} img/s`, ms, 5)
process.exit(0)
