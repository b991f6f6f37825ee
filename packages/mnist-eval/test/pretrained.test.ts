// The shipped @mnist/model weights (a real CNN, five epochs of the default recipe) on the real MNIST test set: the issue's noise thresholds,
// unchanged, on the default convolutional architecture. Runs on @mnist/backend-simd, which makes the 10,000-image
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
  it('scores what its metadata says on the 10,000 test images (>= 99.3 %)', async () => {
    const r = await evaluate(model, test)
    expect(r.count).toBe(10_000)
    expect(r.accuracy).toBeGreaterThanOrEqual(0.993)
    expect(Math.abs(r.accuracy - metadataAccuracy!)).toBeLessThanOrEqual(0.0005)
    expect(r.perClass.every((c) => c.f1 > 0.98)).toBe(true)
  }, 120_000)

  it('keeps its accuracy at sigma 0.1 within 1 point of clean, with mean |delta logit| < 0.5', async () => {
    const before = tf.memory().numTensors
    const noise = await noiseRobustness(model, test, { seed: 42 })
    expect(tf.memory().numTensors).toBe(before)
    const clean = noise.gaussian.find((g) => g.sigma === 0)!.accuracy
    const at01 = noise.gaussian.find((g) => g.sigma === 0.1)!.accuracy
    console.log(
      `pretrained: ${noise.gaussian.map((g) => `sigma ${g.sigma}: ${(g.accuracy * 100).toFixed(2)} %`).join(', ')}; ` +
        `mean |delta logit| ${noise.meanLogitDelta.toFixed(4)}`,
    )
    expect(clean).toBeGreaterThanOrEqual(0.993)
    expect(Math.abs(clean - at01)).toBeLessThanOrEqual(0.01)
    expect(noise.meanLogitDelta).toBeLessThan(0.5)
    expect(noise.gaussian.find((g) => g.sigma === 0.5)!.accuracy).toBeLessThan(clean)
  }, 300_000)
})
