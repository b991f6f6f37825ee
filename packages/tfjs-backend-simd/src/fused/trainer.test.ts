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

function mix32(v: number): number {
  v ^= v >>> 16
  v = Math.imul(v, 0x7feb352d)
  v ^= v >>> 15
  v = Math.imul(v, 0x846ca68b)
  v ^= v >>> 16
  return v >>> 0
}

/** The documented dropout mask: element i kept when hash(seed, i) >= rate * 2^32. */
function dropoutMask(n: number, seed: number, rate: number): Float32Array {
  const s = mix32((seed ^ 0x9e3779b9) >>> 0)
  const threshold = Math.round(rate * 4294967296)
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) out[i] = mix32((Math.imul(i, 0x9e3779b9) ^ s) >>> 0) >= threshold ? 1 / (1 - rate) : 0
  return out
}

interface Reference {
  loss: number
  grads: Float32Array[]
  states: Float32Array[]
  logits: Float32Array
}

/** Loss, gradients and updated moving statistics computed with tfjs ops (tf.variableGrads) on 'cpu'. */
async function reference(
  net: FusedNetwork,
  weights: Float32Array[],
  states: Float32Array[],
  images: Float32Array,
  labels: number[],
  smoothing: number,
  seed: number,
): Promise<Reference> {
  await tf.setBackend('cpu')
  const plan = planNetwork(net)
  const vars = plan.params.map((s, i) => tf.variable(tf.tensor(weights[i]!, s.shape), true, `p${i}`))
  const newStates = states.map((s) => s.slice())
  const n = labels.length
  let logits: Float32Array = new Float32Array()
  const { value, grads } = tf.variableGrads(() => {
    let h: tf.Tensor = tf.tensor(images, [n, ...net.inputShape])
    let p = 0
    let st = 0
    let linear = -1
    net.layers.forEach((l: FusedLayer, i) => {
      switch (l.type) {
        case 'conv2d':
          h = tf.conv2d(
            h as tf.Tensor4D,
            vars[p++] as tf.Variable as unknown as tf.Tensor4D,
            l.strides ?? [1, 1],
            l.padding,
          )
          if (l.useBias) h = tf.add(h, vars[p++]!)
          linear = i
          break
        case 'dense':
          h = tf.matMul(h as tf.Tensor2D, vars[p++] as unknown as tf.Tensor2D)
          if (l.useBias) h = tf.add(h, vars[p++]!)
          linear = i
          break
        case 'batchNorm': {
          const axes = h.shape.slice(0, -1).map((_, k) => k)
          const { mean, variance } = tf.moments(h, axes)
          const m = mean.dataSync()
          const v = variance.dataSync()
          for (let c = 0; c < m.length; c++) {
            newStates[st]![c] = newStates[st]![c]! - (newStates[st]![c]! - m[c]!) * (1 - l.momentum)
            newStates[st + 1]![c] = newStates[st + 1]![c]! - (newStates[st + 1]![c]! - v[c]!) * (1 - l.momentum)
          }
          st += 2
          h = tf.batchNorm(h, mean, variance, vars[p + 1]!, vars[p]!, l.epsilon)
          p += 2
          break
        }
        case 'relu':
          h = tf.relu(h)
          break
        case 'maxPool':
          h = tf.maxPool(h as tf.Tensor4D, l.poolSize, l.strides ?? l.poolSize, 'valid')
          break
        case 'flatten':
          h = tf.reshape(h, [n, -1])
          break
        case 'dropout': {
          const stageIndex = plan.stages.findIndex((s) => s.layer === i)
          h = tf.mul(h, tf.tensor(dropoutMask(h.size, (seed + stageIndex) >>> 0, l.rate), h.shape))
          break
        }
      }
      void linear
    })
    logits = h.dataSync() as Float32Array
    return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 10), h, undefined, smoothing) as tf.Scalar
  }, vars)
  const out = {
    loss: value.dataSync()[0]!,
    grads: vars.map((v) => grads[v.name]!.dataSync() as Float32Array),
    states: newStates,
    logits,
  }
  tf.dispose([value, ...Object.values(grads), ...vars])
  return out
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

async function referenceInference(
  net: FusedNetwork,
  weights: Float32Array[],
  states: Float32Array[],
  x: Float32Array,
  n: number,
): Promise<Float32Array> {
  await tf.setBackend('cpu')
  return tf.tidy(() => {
    let h: tf.Tensor = tf.tensor(x, [n, ...net.inputShape])
    let p = 0
    let st = 0
    for (const l of net.layers) {
      if (l.type === 'conv2d') {
        h = tf.conv2d(
          h as tf.Tensor4D,
          tf.tensor(weights[p++]!, [l.kernelSize[0], l.kernelSize[1], h.shape[3]!, l.filters]) as tf.Tensor4D,
          l.strides ?? [1, 1],
          l.padding,
        )
        if (l.useBias) h = tf.add(h, tf.tensor(weights[p++]!))
      } else if (l.type === 'dense') {
        h = tf.matMul(h as tf.Tensor2D, tf.tensor(weights[p++]!, [h.shape[1]!, l.units]) as tf.Tensor2D)
        if (l.useBias) h = tf.add(h, tf.tensor(weights[p++]!))
      } else if (l.type === 'batchNorm') {
        h = tf.batchNorm(
          h,
          tf.tensor(states[st]!),
          tf.tensor(states[st + 1]!),
          tf.tensor(weights[p + 1]!),
          tf.tensor(weights[p]!),
          l.epsilon,
        )
        p += 2
        st += 2
      } else if (l.type === 'relu') h = tf.relu(h)
      else if (l.type === 'maxPool') h = tf.maxPool(h as tf.Tensor4D, l.poolSize, l.strides ?? l.poolSize, 'valid')
      else if (l.type === 'flatten') h = tf.reshape(h, [n, -1])
    }
    return h.dataSync() as Float32Array
  })
}
