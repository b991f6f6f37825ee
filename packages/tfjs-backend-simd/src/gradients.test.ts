// The fused gradients (FusedBatchNorm, Relu, Square, Mean) against tfjs's own gradients on cpu.
import '@tensorflow/tfjs' // registers tfjs's gradients (tfjs-core's Node bundle has none)
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, describe, expect, test } from 'vitest'
import './index'
import { maxRelErr, MODES, randn, useMode } from './_testing'
import { setThreadsCount } from './flags'

afterAll(() => setThreadsCount(2))

type Case = { name: string; shapes: number[][]; f: (...xs: tf.Tensor[]) => tf.Tensor; kernel: string }
const CASES: Case[] = [
  { name: 'relu', shapes: [[4, 9, 7, 6]], f: (x) => tf.relu(x).mul(tf.range(0, 6).add(1)), kernel: 'SimdReluGrad' },
  { name: 'square', shapes: [[5, 7, 3]], f: (x) => tf.square(x).mul(tf.range(0, 3)), kernel: 'SimdSquareGrad' },
  {
    name: 'mean over [0,1,2]',
    shapes: [[4, 5, 6, 3]],
    f: (x) => tf.mean(x, [0, 1, 2]).mul(tf.range(1, 4)),
    kernel: 'SimdMeanGrad',
  },
  {
    name: 'mean over [1,2] keepDims',
    shapes: [[4, 5, 6, 3]],
    f: (x) => tf.mean(x, [1, 2], true).mul(tf.range(1, 4)),
    kernel: 'SimdMeanGrad',
  },
  {
    name: 'mean over last axis',
    shapes: [[6, 7]],
    f: (x) => tf.mean(x, -1).mul(tf.range(0, 6)),
    kernel: 'SimdMeanGrad',
  },
  {
    name: 'batch norm with moments (tf.layers training path)',
    shapes: [[4, 9, 7, 6], [6], [6]],
    kernel: 'SimdFusedBatchNormGrad',
    f: (x, gamma, beta) => {
      const { mean, variance } = tf.moments(x, [0, 1, 2])
      return tf.batchNorm(x, mean, variance, beta, gamma, 1e-3).mul(tf.randomNormal(x.shape, 0, 1, 'float32', 3))
    },
  },
  {
    // (tfjs cannot differentiate batchNorm without scale or offset: its tape trips over the missing input)
    name: 'batch norm, odd channels, given statistics',
    shapes: [[3, 5, 5, 7], [7], [7], [7], [7]],
    kernel: 'SimdFusedBatchNormGrad',
    f: (x, mean, v, s, o) => tf.batchNorm(x, mean, tf.abs(v).add(0.5), o, s, 1e-3).square(),
  },
]

async function grads(c: Case): Promise<Float32Array[]> {
  const inputs = c.shapes.map((s, i) =>
    tf.tensor(
      randn(
        s.reduce((a, b) => a * b, 1),
        10 + i,
      ),
      s,
    ),
  )
  const before = tf.memory().numTensors
  const gs = tf.grads((...xs: tf.Tensor[]) => c.f(...xs).sum())(inputs)
  const out: Float32Array[] = []
  for (const g of gs) out.push((await g.data()) as Float32Array)
  tf.dispose(gs)
  const leaked = tf.memory().numTensors - before
  tf.dispose(inputs)
  expect(leaked, `${c.name} leaked tensors`).toBe(0)
  return out
}

describe.each(MODES)('fused gradients on $label', (mode) => {
  test.each(CASES)('$name', async (c) => {
    await tf.setBackend('cpu')
    const ref = await grads(c)
    await useMode(mode)
    const profile = await tf.profile(async () => {
      await grads(c)
    })
    const ran = profile.kernels.filter((k) => k.name === c.kernel).length
    expect(ran, `${c.kernel} used`).toBeGreaterThan(0)
    const got = await grads(c)
    got.forEach((g, i) => {
      const scale = Math.max(1, ...Array.from(ref[i]!, Math.abs))
      expect(
        maxRelErr(
          g.map((v) => v / scale),
          ref[i]!.map((v) => v / scale),
        ),
        `input ${i}`,
      ).toBeLessThan(1e-4)
    })
  })
})

test("other backends keep tfjs's own gradients", async () => {
  await useMode(MODES[0]!)
  await tf.setBackend('cpu')
  const profile = await tf.profile(() => tf.grad((x: tf.Tensor) => tf.relu(x).sum())(tf.ones([4])))
  expect(profile.kernels.map((k) => k.name)).toContain('Step')
  expect(profile.kernels.map((k) => k.name)).not.toContain('SimdReluGrad')
})

// The fused gradient kernels have no gradients: under a higher-order tape tfjs's own gradient must run instead.
describe.each(MODES)('higher-order gradients on $label', (mode) => {
  const x = () => tf.tensor1d([-2, -0.5, 0.5, 3])
  test.each([
    { name: 'grad(grad(x^2))', f: (t: tf.Tensor) => tf.square(t), want: [2, 2, 2, 2] },
    { name: 'grad(grad(relu(x)·x))', f: (t: tf.Tensor) => tf.relu(t).mul(t), want: [0, 0, 2, 2] },
    { name: 'grad(grad(mean(x^3)))', f: (t: tf.Tensor) => tf.mean(t.mul(t).mul(t)).mul(4), want: [-12, -3, 3, 18] },
  ])('$name', async ({ f, want }) => {
    await useMode(mode)
    const before = tf.memory().numTensors
    const xs = x()
    const g2 = tf.grad((t: tf.Tensor) => tf.grad((u: tf.Tensor) => f(u))(t))(xs)
    expect(Array.from(await g2.data())).toEqual(want)
    tf.dispose([xs, g2])
    expect(tf.memory().numTensors).toBe(before)
  })

  test('batch norm: the second-order gradient matches cpu', async () => {
    const run = () =>
      tf.tidy(() => {
        const xs = tf.tensor(randn(2 * 3 * 3 * 4, 5), [2, 3, 3, 4])
        const f = (t: tf.Tensor) => {
          const { mean, variance } = tf.moments(t, [0, 1, 2])
          return tf
            .batchNorm(t, mean, variance, tf.fill([4], 0.5), tf.fill([4], 2), 1e-3)
            .square()
            .sum()
        }
        return tf
          .grad((t: tf.Tensor) => tf.grad(f)(t).square().sum())(xs)
          .dataSync()
      })
    await tf.setBackend('cpu')
    const ref = run()
    await useMode(mode)
    expect(maxRelErr(run(), ref)).toBeLessThan(1e-4)
  })

  test('first-order gradients still run the fused kernels', async () => {
    await useMode(mode)
    const profile = await tf.profile(() => tf.grad((t: tf.Tensor) => tf.square(t).sum())(x()))
    expect(profile.kernels.map((k) => k.name)).toContain('SimdSquareGrad')
  })
})
