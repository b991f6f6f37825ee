// Property-style coverage of the fused step: seeded random architectures of the kind @mnist/model's ModelConfig
// describes (conv kernels 1-7, strides 1-2, 'same'/'valid', batch norm, bias, ReLU/linear, max pooling of any size,
// global average pooling, dense with batch norm, dropout; under 25,000 parameters) train a few AdamW steps on the
// fused step and with tfjs autodiff on 'cpu' from the same weights and batches: losses and weights must agree.
import '@tensorflow/tfjs' // registers tfjs's gradients (tfjs-core's Node bundle has none)
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import '../index'
import { randn, useMode } from '../_testing'
import { setThreadsCount } from '../flags'
import type { SimdBackend } from '../backend'
import { FusedTrainer } from './trainer'
import { fusedNetworkFromSpec } from './spec'
import { randomSpec, reference, rng } from './_reference'

afterAll(() => setThreadsCount(2))

const CONFIGS = 10
const STEPS = 3
const BATCH = 4

/** PyTorch's AdamW, in f64 rounded to f32 per array (the fused kernel computes in f32). */
function adamW(
  p: Float32Array,
  g: Float32Array,
  m: Float64Array,
  v: Float64Array,
  t: number,
  h: { learningRate: number; beta1: number; beta2: number; epsilon: number; weightDecay: number },
): void {
  const bc1 = 1 - h.beta1 ** t
  const bc2 = Math.sqrt(1 - h.beta2 ** t)
  for (let i = 0; i < p.length; i++) {
    m[i] = h.beta1 * m[i]! + (1 - h.beta1) * g[i]!
    v[i] = h.beta2 * v[i]! + (1 - h.beta2) * g[i]! * g[i]!
    p[i] =
      p[i]! * (1 - h.learningRate * h.weightDecay) -
      ((h.learningRate / bc1) * m[i]!) / (Math.sqrt(v[i]!) / bc2 + h.epsilon)
  }
}

// A large epsilon: a gradient that is zero in exact arithmetic (a bias before batch norm) is rounding noise in both,
// and Adam would turn noise into a full learning-rate step in either direction.
const H = { learningRate: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-3, weightDecay: 0.01 }

describe('the fused step on random architectures', () => {
  const rand = rng(20261207)
  const cases = Array.from({ length: CONFIGS }, (_, i) => ({ i, ...randomSpec(rand) }))

  test('the configurations cover every layer option @mnist/model accepts', () => {
    const seen = new Set(cases.flatMap((c) => [...c.features]))
    const want = ['same', 'valid', 's1', 's2', 'relu', 'linear', 'convBn', 'bias', 'gap', 'dropout', 'denseBn']
    for (const k of [1, 2, 3, 5, 7]) want.push(`k${k}`)
    for (const p of [2, 3]) want.push(`pool${p}`)
    expect(want.filter((f) => !seen.has(f))).toEqual([])
  })

  let backend: SimdBackend
  beforeAll(async () => {
    await useMode({ label: 'relaxed-simd, 2 threads', build: 'relaxed-simd', threads: 2, sharedMemory: true })
    backend = tf.findBackend('simd') as SimdBackend
  })

  test.each(cases)('config $i trains as tfjs autodiff does', async ({ spec }) => {
    const net = fusedNetworkFromSpec(spec)
    const trainer = new FusedTrainer(net, { batchSize: BATCH, backend, adaptiveThreads: false })
    try {
      const plan = trainer.plan
      let weights = plan.params.map((s, i) => {
        const fanIn = s.name === 'kernel' ? s.shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1
        const r = randn(s.size, 1000 + i)
        return r.map((x) => (s.name === 'gamma' ? 1 + 0.1 * x : s.name === 'kernel' ? x / Math.sqrt(fanIn) : 0.05 * x))
      })
      let states: Float32Array[] = plan.states.map((s) =>
        new Float32Array(s.size).fill(s.name === 'movingVariance' ? 1 : 0),
      )
      trainer.setWeights(weights)
      const m = plan.params.map((s) => new Float64Array(s.size))
      const v = plan.params.map((s) => new Float64Array(s.size))
      for (let step = 1; step <= STEPS; step++) {
        const images = randn(BATCH * plan.inputSize, 77 + step)
        const labels = Array.from({ length: BATCH }, (_, k) => (k * 3 + step) % 10)
        const ref = await reference(net, weights, states, images, labels, 0, step)
        const got = trainer.trainStep({ images, labels, dropoutSeed: step }, H)
        expect(Math.abs(got.loss - ref.loss) / Math.max(1, ref.loss), `loss of step ${step}`).toBeLessThan(1e-4)
        weights = weights.map((w) => w.slice())
        weights.forEach((w, i) => adamW(w, ref.grads[i]!, m[i]!, v[i]!, step, H))
        states = ref.states
      }
      const fused = trainer.getWeights()
      weights.forEach((w, i) => {
        const err = Math.max(0, ...Array.from(w, (x, k) => Math.abs(x - fused[i]![k]!)))
        const s = plan.params[i]!
        expect(err, `${s.name} of layers[${s.layer}]`).toBeLessThan(1e-4)
      })
      trainer.getStates().forEach((s, i) => {
        const err = Math.max(0, ...Array.from(s, (x, k) => Math.abs(x - states[i]![k]!)))
        expect(err, `state ${i}`).toBeLessThan(1e-4)
      })
    } finally {
      trainer.dispose()
    }
  })
})
