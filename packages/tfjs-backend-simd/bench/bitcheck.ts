// Bit-identity check of the fused trainer: trains fixed networks on fixed pseudo-random data and prints a SHA-256
// of the per-step losses, weights, moving statistics, optimiser state and inference logits, per build and thread
// count. A kernel change that keeps the numerics must keep every hash: run it before and after, on the same machine
// (relaxed-simd's multiply-add is fused or not depending on the CPU). BITCHECK_NETS picks networks (default all).
//   node --import tsx bench/bitcheck.ts            (BITCHECK_STEPS, default 40; BITCHECK_BUILDS=relaxed-simd,simd,scalar)
import * as tf from '@tensorflow/tfjs-core'
import { createHash } from 'node:crypto'
import {
  FusedTrainer,
  registerSimdBackend,
  setThreadsCount,
  getSimdBackend,
  type FusedLayer,
  type FusedNetwork,
  type SimdBuild,
} from '../src/index'

const STEPS = Number(process.env.BITCHECK_STEPS ?? 40)
const conv = (filters: number, relu = true, bn = true): FusedLayer[] => [
  { type: 'conv2d', filters, kernelSize: [3, 3], padding: 'same', useBias: !bn },
  ...(bn ? [{ type: 'batchNorm', epsilon: 1e-5, momentum: 0.9 } as FusedLayer] : []),
  ...(relu ? [{ type: 'relu' } as FusedLayer] : []),
]
const pool: FusedLayer = { type: 'maxPool', poolSize: [2, 2] }
const NETS: Record<string, { net: FusedNetwork; batch: number }> = {
  // @mnist/model's default network (BN+ReLU+2x2 pool twice)
  default: {
    batch: 32,
    net: {
      inputShape: [28, 28, 1],
      layers: [
        ...conv(8),
        pool,
        ...conv(16),
        pool,
        ...conv(24),
        ...conv(24),
        { type: 'flatten' },
        { type: 'dropout', rate: 0.05 },
        { type: 'dense', units: 10, useBias: true },
      ],
    },
  },
  // pools that can not be fused with the layer before: odd input (13x13), after a bias+ReLU conv (no BN), after
  // BN without ReLU, a 3x3/2 window, and channels that are not a multiple of 4; a dense+BN+ReLU and odd batch
  other: {
    batch: 7,
    net: {
      inputShape: [13, 13, 2],
      layers: [
        ...conv(6),
        pool,
        ...conv(8, true, false),
        { type: 'maxPool', poolSize: [3, 3], strides: [1, 1] },
        ...conv(12, false),
        pool,
        ...conv(5),
        { type: 'flatten' },
        { type: 'dense', units: 9, useBias: false },
        { type: 'batchNorm', epsilon: 1e-3, momentum: 0.8 },
        { type: 'relu' },
        { type: 'dropout', rate: 0.3 },
        { type: 'dense', units: 10, useBias: true },
      ],
    },
  },
  // BN+ReLU+2x2 pool with odd channels and an odd batch (6x6 -> 3x3), then 4 channels (3x3: odd, so not fused)
  // layers that run as Winograd convolutions on the SIMD builds (src/fused/winograd.ts): 'same' at 14x14 (filter
  // gradient by F(4x4, 3x3)) and 'valid' at 7x7 -> 5x5 (by F(2x2, 3x3)), 32 filters
  winograd: {
    batch: 6,
    net: {
      inputShape: [14, 14, 4],
      layers: [
        ...conv(32),
        pool,
        { type: 'conv2d', filters: 32, kernelSize: [3, 3], padding: 'valid', useBias: true },
        { type: 'relu' },
        { type: 'flatten' },
        { type: 'dense', units: 10, useBias: true },
      ],
    },
  },
  small: {
    batch: 5,
    net: {
      inputShape: [6, 6, 3],
      layers: [...conv(7), pool, ...conv(4), { type: 'flatten' }, { type: 'dense', units: 10, useBias: true }],
    },
  },
}

const builds = (process.env.BITCHECK_BUILDS ?? 'relaxed-simd,simd,scalar').split(',') as SimdBuild[]
const nets = (process.env.BITCHECK_NETS ?? Object.keys(NETS).join(',')).split(',')
for (const build of builds) {
  for (const threads of [1, 2]) {
    setThreadsCount(threads)
    registerSimdBackend({ build, parallelThreshold: 0 })
    await tf.setBackend('simd')
    for (let i = 0; i < 200 && getSimdBackend()!.rt.threads !== threads; i++)
      await new Promise((r) => setTimeout(r, 10))
    for (const name of nets) {
      const { net, batch: B } = NETS[name]!
      const trainer = new FusedTrainer(net, { batchSize: B, labelSmoothing: 0.05, adaptiveThreads: false })
      let seed = 12345
      const rand = () => (seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296
      trainer.setWeights(
        trainer.paramSpecs.map((s) =>
          Float32Array.from({ length: s.size }, () => (s.name === 'gamma' ? 0.8 + 0.4 * rand() : (rand() - 0.5) * 0.4)),
        ),
      )
      const per = trainer.plan.inputSize
      const hash = createHash('sha256')
      const h = { learningRate: 0.003, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 }
      const images = new Float32Array(B * per)
      const labels: number[] = []
      const losses: number[] = []
      for (let step = 0; step < STEPS; step++) {
        for (let i = 0; i < images.length; i++) images[i] = rand() * 2 - 0.4
        labels.length = 0
        for (let k = 0; k < B; k++) labels.push(Math.floor(rand() * 10))
        const r = trainer.trainStep({ images, labels, dropoutSeed: step * 7 + 1 }, h)
        hash.update(new Float64Array([r.loss, r.correct]))
        losses.push(r.loss)
      }
      const bytes = (arrays: Float32Array[]) =>
        arrays.forEach((a) => hash.update(new Uint8Array(a.buffer, a.byteOffset, a.byteLength)))
      bytes(trainer.getWeights())
      bytes(trainer.getGradients())
      bytes(trainer.getStates())
      const opt = trainer.getOptimizerState()
      hash.update(String(opt.step))
      bytes(opt.m)
      bytes(opt.v)
      bytes([trainer.predictLogits(images, B)])
      console.log(
        `${build.padEnd(12)} ${threads} thread(s) ${name.padEnd(8)} ${hash.digest('hex')} loss ${losses[0]!.toFixed(3)} -> ${losses[losses.length - 1]!.toFixed(3)}` +
          ` fused pools: [${(trainer as unknown as { poolFused?: boolean[] }).poolFused?.flatMap((f, i) => (f ? [i] : [])).join(', ') ?? ''}]`,
      )
      trainer.dispose()
    }
  }
}
process.exit(0)
