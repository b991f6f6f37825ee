// Reference model C (docs/pytorch-reference.md: 1x1 convs, a 'valid' 3x3 conv, global average pooling) on the fused
// step, and fused inference (SimdBackend.fusedPredict) of model C and the default network, each against PyTorch on
// the same architecture in the same run (Debian's python3-torch at /usr/bin/python3; skipped without it).
//   node --import tsx bench/model-c.ts
// env: BENCH_STEPS (training steps, default 938 = one epoch at batch 64), BENCH_THREADS (default 2),
//      MNIST_DATA_DIR (real MNIST, gzip IDX; random data otherwise), BENCH_TORCH=0 skips PyTorch.
import '@tensorflow/tfjs-backend-cpu'
import * as tf from '@tensorflow/tfjs-core'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import {
  FusedTrainer,
  fusedNetworkFromSpec,
  getSimdBackend,
  setThreadsCount,
  type FusedModelSpec,
  type FusedSpecKnownLayer,
} from '../src/index'
import { MODEL_C } from '../src/fused/_reference'

const STEPS = Number(process.env.BENCH_STEPS ?? 938)
const THREADS = Number(process.env.BENCH_THREADS ?? 2)
const BATCH = 64
const here = dirname(fileURLToPath(import.meta.url))

const conv = (filters: number, kernelSize: number, padding: 'same' | 'valid' = 'same'): FusedSpecKnownLayer => ({
  type: 'conv',
  filters,
  kernelSize,
  padding,
  batchNorm: true,
})
const pool: FusedSpecKnownLayer = { type: 'maxPool', poolSize: 2 }
const base = { inputShape: [28, 28, 1], classes: 10, batchNormEpsilon: 1e-5, batchNormMomentum: 0.9 } as const
const DEFAULT: FusedModelSpec = {
  ...base,
  layers: [
    ...[conv(8, 3), pool, conv(16, 3), pool],
    ...[conv(24, 3), conv(24, 3), { type: 'flatten' } as const, { type: 'dropout', rate: 0.05 } as const],
  ],
}

function idx(name: string, skip: number): Uint8Array | undefined {
  const dir = process.env.MNIST_DATA_DIR
  const file = dir && join(dir, name)
  return file && existsSync(file) ? gunzipSync(readFileSync(file)).subarray(skip) : undefined
}
const random = (n: number) => Uint8Array.from({ length: n }, (_, i) => (Math.imul(i, 2654435761) >>> 24) & 255)
const trainX = idx('train-images-idx3-ubyte.gz', 16) ?? random(60000 * 784)
const trainY = idx('train-labels-idx1-ubyte.gz', 8) ?? Uint8Array.from({ length: 60000 }, (_, i) => i % 10)
const testX = idx('t10k-images-idx3-ubyte.gz', 16) ?? random(10000 * 784)
const normalise = (u: Uint8Array) => Float32Array.from(u, (v) => (v / 255 - 0.1307) / 0.3081)

console.log(
  `machine: ${cpus().length} x ${cpus()[0]?.model}, node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}; data: ${process.env.MNIST_DATA_DIR ?? 'random'}`,
)
setThreadsCount(THREADS)
await tf.setBackend('simd')
const backend = getSimdBackend()!
for (let i = 0; i < 500 && backend.rt.threads < THREADS; i++) await new Promise((r) => setTimeout(r, 10))

/** He-normal-ish kernels, zero biases/betas, unit gammas (the trainer's parameter order). */
function initialWeights(trainer: FusedTrainer): Float32Array[] {
  let s = 12345
  const gauss = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    const u = (s + 1) / 4294967297
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0
    return Math.sqrt(-2 * Math.log(u)) * Math.cos((2 * Math.PI * s) / 4294967296)
  }
  return trainer.paramSpecs.map((p) => {
    if (p.name !== 'kernel') return new Float32Array(p.size).fill(p.name === 'gamma' ? 1 : 0)
    const fanIn = p.shape.slice(0, -1).reduce((a, b) => a * b, 1)
    return Float32Array.from({ length: p.size }, () => gauss() * Math.sqrt(2 / fanIn))
  })
}

function trainModelC(): number {
  const trainer = new FusedTrainer(fusedNetworkFromSpec(MODEL_C), { batchSize: BATCH })
  trainer.setWeights(initialWeights(trainer))
  const images = new Float32Array(BATCH * 784)
  const labels = new Array<number>(BATCH)
  const h = { learningRate: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 }
  const t0 = performance.now()
  let loss = 0
  for (let s = 0; s < STEPS; s++) {
    const off = (s * BATCH) % (60000 - BATCH)
    for (let i = 0; i < images.length; i++) images[i] = (trainX[off * 784 + i]! / 255 - 0.1307) / 0.3081
    for (let k = 0; k < BATCH; k++) labels[k] = trainY[off + k]!
    loss = trainer.trainStep({ images, labels, dropoutSeed: s }, h).loss
  }
  const ms = (performance.now() - t0) / STEPS
  trainer.dispose()
  console.log(
    `fused model C: ${ms.toFixed(2)} ms/step, epoch (938 steps) ${((ms * 938) / 1000).toFixed(1)} s, loss ${loss.toFixed(3)}`,
  )
  return ms
}

/** Images per second of fusedPredict over the 10,000 test images, 1000 per call (best of 3). */
function inference(name: string, spec: FusedModelSpec): number {
  const trainer = new FusedTrainer(fusedNetworkFromSpec(spec), { batchSize: 1 })
  // random weights in model.getWeights() order: trainable ones, then moving mean / variance
  const weights = [
    ...initialWeights(trainer).map((w, i) => tf.tensor(w, trainer.paramSpecs[i]!.shape)),
    ...trainer.stateSpecs.map((s) => tf.fill(s.shape, s.name === 'movingVariance' ? 1 : 0)),
  ]
  trainer.dispose()
  const x = normalise(testX)
  const batches = Array.from({ length: 10 }, (_, i) =>
    tf.tensor4d(x.subarray(i * 784000, (i + 1) * 784000), [1000, 28, 28, 1]),
  )
  tf.dispose(backend.fusedPredict(spec, weights, batches[0]!)) // folds and caches
  let best = Infinity
  for (let r = 0; r < 3; r++) {
    const t0 = performance.now()
    for (const b of batches) tf.dispose(backend.fusedPredict(spec, weights, b))
    best = Math.min(best, performance.now() - t0)
  }
  tf.dispose([...weights, ...batches])
  const perSecond = 10000 / (best / 1000)
  console.log(`fused inference ${name}: ${perSecond.toFixed(0)} images/s (10,000 images, batch 1000)`)
  return perSecond
}

function torch(script: string, args: string[]): Record<string, number> | undefined {
  const py = '/usr/bin/python3'
  if (process.env.BENCH_TORCH === '0' || !existsSync(py)) return undefined
  const r = spawnSync(py, [join(here, script), ...args], { encoding: 'utf8', env: process.env })
  try {
    return JSON.parse(r.stdout.trim().split('\n').pop() ?? '') as Record<string, number>
  } catch {
    console.log(`pytorch (${script}): failed (${r.stderr.trim().split('\n').pop()})`)
    return undefined
  }
}

const ours = trainModelC()
const theirs = torch('torch_epoch.py', [String(STEPS), String(THREADS)])
if (theirs) {
  const ms = theirs.msPerStep!
  console.log(
    `pytorch model C: ${ms.toFixed(2)} ms/step, epoch ${((ms * 938) / 1000).toFixed(1)} s; fused / pytorch time = ${(ours / ms).toFixed(2)}`,
  )
}
const inf = { default: inference('default', DEFAULT), C: inference('model C', MODEL_C) }
const ti = torch('torch_infer.py', [String(THREADS)])
if (ti) {
  for (const k of ['default', 'C'] as const) {
    console.log(
      `pytorch inference ${k}: ${ti[k]!.toFixed(0)} images/s; fused / pytorch images/s = ${(inf[k] / ti[k]!).toFixed(2)}`,
    )
  }
}
process.exit(0)
