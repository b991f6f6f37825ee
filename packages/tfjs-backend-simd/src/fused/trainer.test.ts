// The fused trainer against the same network written with tfjs ops and differentiated by tfjs on 'cpu'.
import '@tensorflow/tfjs' // registers tfjs's gradients (tfjs-core's Node bundle has none)
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, describe, expect, test } from 'vitest'
import '../index'
import { maxRelErr, MODES, randn, useMode } from '../_testing'
import { setThreadsCount } from '../flags'
import { FusedInputError, FusedNetworkError } from '../errors'
import { FusedTrainer } from './trainer'
import { planNetwork, type FusedLayer, type FusedNetwork } from './network'
import { reference, referenceInference, type Reference } from './_reference'

afterAll(() => setThreadsCount(2))

/** Every layer kind and fusion: conv+BN+ReLU (1 input channel), pool, strided valid conv with bias+ReLU, odd channels. */
const NET: FusedNetwork = {
  inputShape: [12, 12, 1],
  layers: [
    { type: 'conv2d', filters: 8, kernelSize: [3, 3], padding: 'same', useBias: false },
    { type: 'batchNorm', epsilon: 1e-5, momentum: 0.9 },
    { type: 'relu' },
    { type: 'maxPool', poolSize: [2, 2] },
    { type: 'conv2d', filters: 6, kernelSize: [3, 3], strides: [2, 2], padding: 'valid', useBias: true },
    { type: 'relu' },
    { type: 'conv2d', filters: 5, kernelSize: [1, 1], padding: 'same', useBias: false },
    { type: 'batchNorm', epsilon: 1e-3, momentum: 0.8 },
    { type: 'flatten' },
    { type: 'dense', units: 7, useBias: false },
    { type: 'batchNorm', epsilon: 1e-5, momentum: 0.9 },
    { type: 'relu' },
    { type: 'dropout', rate: 0.3 },
    { type: 'dense', units: 10, useBias: true },
  ],
}

/** Gradients within 1e-4 of the largest reference gradient of each array; moving statistics within 1e-5. */
function expectMatches(trainer: FusedTrainer, ref: Reference): void {
  const got = trainer.getGradients()
  ref.grads.forEach((g, i) => {
    const scale = Math.max(1e-3, ...Array.from(g, Math.abs))
    const err = Math.max(...Array.from(g, (v, k) => Math.abs(v - got[i]![k]!))) / scale
    expect(
      err,
      `gradient ${i} (${trainer.paramSpecs[i]!.name} of layers[${trainer.paramSpecs[i]!.layer}])`,
    ).toBeLessThan(1e-4)
  })
  trainer.getStates().forEach((s, i) => expect(maxRelErr(s, ref.states[i]!), `state ${i}`).toBeLessThan(1e-5))
}

function initialWeights(net: FusedNetwork, seed: number): { weights: Float32Array[]; states: Float32Array[] } {
  const plan = planNetwork(net)
  const weights = plan.params.map((s, i) => {
    const w = randn(s.size, seed + i)
    const fanIn = s.name === 'kernel' ? s.shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1
    return w.map((v) => (s.name === 'gamma' ? 1 + 0.2 * v : s.name === 'kernel' ? v / Math.sqrt(fanIn) : 0.1 * v))
  })
  const states = plan.states.map((s, i) =>
    randn(s.size, 50 + i).map((v) => (s.name === 'movingVariance' ? 1 + 0.5 * Math.abs(v) : 0.3 * v)),
  )
  return { weights, states }
}

const N = 6
const images = randn(N * 144, 7)
const labels = [3, 1, 4, 1, 5, 9]

describe.each(MODES)('FusedTrainer ($label)', (mode) => {
  test('loss, gradients and moving statistics match tfjs on cpu (dropout, label smoothing, batch < batchSize)', async () => {
    const { weights, states } = initialWeights(NET, 100)
    const ref = await reference(NET, weights, states, images, labels, 0.1, 1234)
    await useMode(mode)
    const trainer = new FusedTrainer(NET, { batchSize: 8, labelSmoothing: 0.1 })
    try {
      trainer.setWeights(weights)
      trainer.setStates(states)
      const { loss, correct } = trainer.lossAndGradients({ images, labels, dropoutSeed: 1234 })
      expect(Math.abs(loss - ref.loss)).toBeLessThan(1e-5)
      let right = 0
      for (let k = 0; k < N; k++) {
        const row = Array.from(ref.logits.subarray(k * 10, k * 10 + 10))
        if (row.indexOf(Math.max(...row)) === labels[k]) right++
      }
      expect(correct).toBe(right)
      expectMatches(trainer, ref)
    } finally {
      trainer.dispose()
    }
  })
})

/** @mnist/model's default network: the real shapes (direct 3x3 kernels, 2x2 pooling, a 1176-input dense layer). */
const conv = (filters: number): FusedLayer[] => [
  { type: 'conv2d', filters, kernelSize: [3, 3], padding: 'same', useBias: false },
  { type: 'batchNorm', epsilon: 1e-5, momentum: 0.9 },
  { type: 'relu' },
]
const DEFAULT_NET: FusedNetwork = {
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

describe.each([MODES[0]!, MODES[1]!])('FusedTrainer on the default network ($label)', (mode) => {
  test('an odd batch of 3 matches tfjs on cpu', async () => {
    const { weights, states } = initialWeights(DEFAULT_NET, 400)
    const x = randn(3 * 784, 9)
    const y = [7, 2, 0]
    const ref = await reference(DEFAULT_NET, weights, states, x, y, 0.05, 99)
    await useMode(mode)
    const trainer = new FusedTrainer(DEFAULT_NET, { batchSize: 4, labelSmoothing: 0.05 })
    try {
      trainer.setWeights(weights)
      trainer.setStates(states)
      const { loss } = trainer.lossAndGradients({ images: x, labels: y, dropoutSeed: 99 })
      expect(Math.abs(loss - ref.loss)).toBeLessThan(1e-5)
      expectMatches(trainer, ref)
      const logits = trainer.predictLogits(x, 3)
      expect(maxRelErr(logits, await referenceInference(DEFAULT_NET, weights, trainer.getStates(), x, 3))).toBeLessThan(
        1e-4,
      )
    } finally {
      trainer.dispose()
    }
  })
})

/**
 * Batch norm (+ ReLU) into a 2x2 / stride-2 pool runs fused (bn_act_pool_f32): with and without ReLU, 4 and 7
 * channels; a stride-1 pool, an odd input and a pool after a bias+ReLU conv do not.
 */
const POOL_NETS: { label: string; net: FusedNetwork; fused: number[] }[] = [
  {
    label: 'fused pools',
    fused: [1, 3],
    net: {
      inputShape: [8, 8, 1],
      layers: [
        ...conv(4),
        { type: 'maxPool', poolSize: [2, 2] },
        { type: 'conv2d', filters: 7, kernelSize: [3, 3], padding: 'same', useBias: false },
        { type: 'batchNorm', epsilon: 1e-3, momentum: 0.8 },
        { type: 'maxPool', poolSize: [2, 2] },
        ...conv(5),
        { type: 'maxPool', poolSize: [2, 2], strides: [1, 1] },
        { type: 'flatten' },
        { type: 'dense', units: 10, useBias: true },
      ],
    },
  },
  {
    label: 'unfused pools',
    fused: [],
    net: {
      inputShape: [7, 7, 2],
      layers: [
        ...conv(8),
        { type: 'maxPool', poolSize: [2, 2] },
        { type: 'conv2d', filters: 4, kernelSize: [1, 1], padding: 'valid', useBias: true },
        { type: 'relu' },
        { type: 'maxPool', poolSize: [2, 2] },
        { type: 'flatten' },
        { type: 'dense', units: 10, useBias: true },
      ],
    },
  },
]

describe.each(MODES)('FusedTrainer, batch norm into max pool ($label)', (mode) => {
  test.each(POOL_NETS)(
    '$label: loss, gradients, moving statistics and inference match tfjs on cpu',
    async ({ net, fused }) => {
      const { weights, states } = initialWeights(net, 700)
      const n = 5
      const x = randn(n * planNetwork(net).inputSize, 13)
      const y = [0, 9, 4, 4, 2]
      const ref = await reference(net, weights, states, x, y, 0.1, 5)
      await useMode(mode)
      const trainer = new FusedTrainer(net, { batchSize: 6, labelSmoothing: 0.1 })
      try {
        const flags = (trainer as unknown as { poolFused: boolean[] }).poolFused
        expect(flags.flatMap((f, i) => (f ? [i] : []))).toEqual(fused)
        trainer.setWeights(weights)
        trainer.setStates(states)
        const { loss } = trainer.lossAndGradients({ images: x, labels: y, dropoutSeed: 5 })
        expect(Math.abs(loss - ref.loss)).toBeLessThan(1e-5)
        expectMatches(trainer, ref)
        const logits = trainer.predictLogits(x, n)
        expect(maxRelErr(logits, await referenceInference(net, weights, trainer.getStates(), x, n))).toBeLessThan(1e-4)
      } finally {
        trainer.dispose()
      }
    },
  )
})

describe('FusedTrainer', () => {
  test('AdamW update is PyTorch formula, and the optimiser state round-trips', async () => {
    await useMode(MODES[0]!)
    const { weights, states } = initialWeights(NET, 200)
    const trainer = new FusedTrainer(NET, { batchSize: 8 })
    try {
      trainer.setWeights(weights)
      trainer.setStates(states)
      const h = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 }
      trainer.lossAndGradients({ images, labels })
      const g1 = trainer.getGradients()
      trainer.applyAdamW(h)
      const after = trainer.getWeights()
      weights.forEach((w, i) => {
        const expected = w.map((p, k) => {
          const g = g1[i]![k]!
          const m = 0.1 * g
          const v = 0.001 * g * g
          return p * (1 - 0.01 * 0.01) - ((0.01 / 0.1) * m) / (Math.sqrt(v) / Math.sqrt(0.001) + 1e-8)
        })
        expect(maxRelErr(after[i]!, expected)).toBeLessThan(1e-5)
      })
      const state = trainer.getOptimizerState()
      expect(state.step).toBe(1)
      // Two trainers from the same state take the same next step, bit for bit.
      const twin = new FusedTrainer(NET, { batchSize: 8 })
      try {
        twin.setWeights(after)
        twin.setStates(trainer.getStates())
        twin.setOptimizerState(state)
        const a = trainer.trainStep({ images, labels, dropoutSeed: 5 }, h)
        const b = twin.trainStep({ images, labels, dropoutSeed: 5 }, h)
        expect(b).toEqual(a)
        expect(twin.getWeights()).toEqual(trainer.getWeights())
        expect(twin.getOptimizerState()).toEqual(trainer.getOptimizerState())
      } finally {
        twin.dispose()
      }
    } finally {
      trainer.dispose()
    }
  })

  test('bit-identical results with 1 and 2 threads, and with the adaptive thread choice switching', async () => {
    const { weights, states } = initialWeights(DEFAULT_NET, 600)
    const x = randn(8 * 784, 11)
    const y = [1, 2, 3, 4, 5, 6, 7, 8]
    const h = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.01 }
    const runWith = async (threads: number, adaptiveThreads: boolean) => {
      await useMode({ ...MODES[0]!, threads })
      const trainer = new FusedTrainer(DEFAULT_NET, { batchSize: 8, labelSmoothing: 0.05, adaptiveThreads })
      try {
        trainer.setWeights(weights)
        trainer.setStates(states)
        // long enough for the adaptive choice to probe the other thread count at least once
        for (let i = 0; i < 170; i++) trainer.trainStep({ images: x, labels: y, dropoutSeed: i }, h)
        return { weights: trainer.getWeights(), states: trainer.getStates(), opt: trainer.getOptimizerState() }
      } finally {
        trainer.dispose()
      }
    }
    const one = await runWith(1, false)
    const two = await runWith(2, false)
    const adaptive = await runWith(2, true)
    expect(two).toEqual(one)
    expect(adaptive).toEqual(one)
  })

  test('training lowers the loss; predictLogits uses the moving statistics and no dropout; memory is returned', async () => {
    await useMode(MODES[0]!)
    const { weights, states } = initialWeights(NET, 300)
    const backend = tf.backend() as unknown as { rt: { heap: { bytesInUse: number } } }
    const inUse = backend.rt.heap.bytesInUse
    const trainer = new FusedTrainer(NET, { batchSize: 8 })
    trainer.setWeights(weights)
    trainer.setStates(states)
    const h = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0 }
    const first = trainer.trainStep({ images, labels, dropoutSeed: 1 }, h)
    let last = first
    for (let i = 0; i < 60; i++) last = trainer.trainStep({ images, labels, dropoutSeed: 1 + i }, h)
    expect(last.loss).toBeLessThan(first.loss / 3)
    const logits = trainer.predictLogits(images, N)
    const again = trainer.predictLogits(images, N)
    expect(again).toEqual(logits)
    // The same network on tfjs in inference mode
    const ref = await referenceInference(NET, trainer.getWeights(), trainer.getStates(), images, N)
    expect(maxRelErr(logits, ref)).toBeLessThan(1e-4)
    await useMode(MODES[0]!)
    trainer.dispose()
    expect((tf.backend() as unknown as typeof backend).rt.heap.bytesInUse).toBeLessThanOrEqual(inUse)
  })

  test('bad networks and inputs get typed errors naming the layer or argument', async () => {
    await useMode(MODES[0]!)
    expect(() =>
      planNetwork({
        inputShape: [8, 8, 1],
        layers: [{ type: 'relu' }, { type: 'flatten' }, { type: 'dense', units: 2, useBias: true }],
      }),
    ).toThrow(FusedNetworkError)
    expect(() => planNetwork({ inputShape: [8, 8, 1], layers: [{ type: 'dense', units: 2, useBias: true }] })).toThrow(
      /layers\[0\].*flatten/,
    )
    expect(() =>
      planNetwork({
        inputShape: [8, 8, 1],
        layers: [{ type: 'conv2d', filters: 2, kernelSize: [3, 3], padding: 'same', useBias: false }],
      }),
    ).toThrow(/last layer must be a dense layer/)
    const trainer = new FusedTrainer(NET, { batchSize: 4 })
    try {
      expect(() => trainer.lossAndGradients({ images, labels })).toThrow(FusedInputError)
      expect(() => trainer.lossAndGradients({ images, labels: [1, 2, 3, 10] })).toThrow(/labels\[3\]/)
      expect(() => trainer.setWeights([])).toThrow(/weights: expected \d+ arrays/)
    } finally {
      trainer.dispose()
    }
  })
})
