// The shipped @mnist/model weights (model C, 30 epochs of `mnist train --preset best`) on the real MNIST test set: at
// least 99.6 %, and at least as robust to noise as the weights they replaced (sigma 0.3: 99.48 %, salt-and-pepper
// 10 %: 94.78 %). Runs on @mnist/backend-simd, which makes the 10,000-image
// passes take seconds instead of minutes on the cpu backend.
import '@mnist/backend-simd'
import { loadMnist } from '@mnist/data'
import { loadPretrained } from '@mnist/model'
import * as tf from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { evaluate, noiseRobustness } from '../src/index'
import type { LabeledImages } from '../src/index'

let model: LayersModel
let metadataAccuracy: number | undefined
let test: LabeledImages

beforeAll(async () => {
  await tf.setBackend('simd')
  const loaded = await loadPretrained()
  model = loaded.model
  metadataAccuracy = loaded.metadata?.testAccuracy
  const data = await loadMnist({})
  test = { images: data.test.images, labels: data.test.labels, count: data.test.count, rows: 28, cols: 28 }
}, 120_000)

afterAll(async () => {
  model?.dispose()
  await tf.setBackend('cpu')
})

describe('the pretrained CNN', () => {
  it('scores what its metadata says on the 10,000 test images (>= 99.6 %)', async () => {
    const r = await evaluate(model, test)
    expect(r.count).toBe(10_000)
    expect(r.accuracy).toBeGreaterThanOrEqual(0.996)
    expect(Math.abs(r.accuracy - metadataAccuracy!)).toBeLessThanOrEqual(0.0005)
    expect(r.perClass.every((c) => c.f1 > 0.98)).toBe(true)
  }, 120_000)

  it('is at least as robust to Gaussian and salt-and-pepper noise as the weights it replaced', async () => {
    const before = tf.memory().numTensors
    const noise = await noiseRobustness(model, test, { seed: 42 })
    expect(tf.memory().numTensors).toBe(before)
    const clean = noise.gaussian.find((g) => g.sigma === 0)!.accuracy
    const at01 = noise.gaussian.find((g) => g.sigma === 0.1)!.accuracy
    console.log(
      `pretrained: ${noise.gaussian.map((g) => `sigma ${g.sigma}: ${(g.accuracy * 100).toFixed(2)} %`).join(', ')}; ` +
        `mean |delta logit| ${noise.meanLogitDelta.toFixed(4)}`,
    )
    expect(clean).toBeGreaterThanOrEqual(0.996)
    expect(Math.abs(clean - at01)).toBeLessThanOrEqual(0.01)
    // the previous weights' curve (five epochs without augmentation): the new ones must not be less robust
    expect(noise.gaussian.find((g) => g.sigma === 0.3)!.accuracy).toBeGreaterThanOrEqual(0.9948)
    expect(noise.saltPepper.find((g) => g.rate === 0.1)!.accuracy).toBeGreaterThanOrEqual(0.9478)
    expect(noise.saltPepper.find((g) => g.rate === 0.05)!.accuracy).toBeGreaterThanOrEqual(0.985)
    expect(noise.meanLogitDelta).toBeLessThan(0.5)
    expect(noise.gaussian.find((g) => g.sigma === 0.5)!.accuracy).toBeLessThan(clean)
  }, 300_000)
})
