// On a really trained model (real MNIST, trained here in the test): the issue's noise thresholds, unchanged.
// Needs the real data: loadMnist() reads MNIST_DATA_DIR (CI sets it), else the cache, else the public mirrors.
// @tensorflow/tfjs registers the gradients that training needs (one tfjs-core copy is shared with the package).
import * as tf from '@tensorflow/tfjs'
import { loadMnist } from '@mnist/data'
import { MNIST_NORMALIZATION, createModel, predict } from '@mnist/model'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { evaluate, noiseRobustness, writeReport } from '../src/index'
import type { LabeledImages } from '../src/index'

const TRAIN_IMAGES = 8000
const TEST_IMAGES = 10_000

let model: tf.LayersModel
let test: LabeledImages
let trainSeconds = 0

function normalised(images: Uint8Array, count: number): tf.Tensor4D {
  const x = new Float32Array(count * 784)
  for (let i = 0; i < x.length; i++) x[i] = (images[i]! / 255 - MNIST_NORMALIZATION.mean) / MNIST_NORMALIZATION.std
  return tf.tensor4d(x, [count, 28, 28, 1])
}

beforeAll(async () => {
  await tf.setBackend('cpu')
  const data = await loadMnist({})
  test = {
    images: data.test.images.subarray(0, TEST_IMAGES * 784),
    labels: data.test.labels.subarray(0, TEST_IMAGES),
    count: TEST_IMAGES,
    rows: 28,
    cols: 28,
  }
  // A @mnist/model network trained for real, but with a dense hidden layer instead of the default convolutions:
  // the cpu backend's convolution gradients take seconds per step on this 2-core machine, a dense layer ~50 ms.
  model = createModel({ seed: 3, layers: [{ type: 'flatten' }, { type: 'dense', units: 30 }] })
  model.compile({
    optimizer: tf.train.adam(0.003),
    loss: (yTrue: tf.Tensor, yPred: tf.Tensor) => tf.losses.softmaxCrossEntropy(yTrue, yPred),
  })
  const x = normalised(data.train.images, TRAIN_IMAGES)
  const y = tf.tidy(() => tf.oneHot(tf.tensor1d(data.train.labels.subarray(0, TRAIN_IMAGES), 'int32'), 10))
  const started = performance.now()
  // 3 epochs of 250 batches: 750 Adam steps (~92 % on the test set).
  await model.fit(x, y, { batchSize: 32, epochs: 3, shuffle: false, verbose: 0 })
  trainSeconds = (performance.now() - started) / 1000
  tf.dispose([x, y])
}, 240_000)

afterAll(() => {
  model?.dispose()
})

describe('a model trained on real MNIST', () => {
  it('evaluates to a real accuracy, consistent with @mnist/model predict()', async () => {
    const r = await evaluate(model, test)
    console.log(
      `trained in ${trainSeconds.toFixed(1)} s; test accuracy ${(r.accuracy * 100).toFixed(2)} %, loss ${r.loss.toFixed(4)}`,
    )
    expect(r.accuracy).toBeGreaterThan(0.9)
    expect(r.loss).toBeLessThan(0.4)
    expect(r.perClass.every((c) => c.recall > 0.75)).toBe(true)
    expect(r.misclassified.length).toBe(Math.round((1 - r.accuracy) * TEST_IMAGES))
    const digits = predict(model, test.images.subarray(0, 200 * 784)).map((p) => p.digit)
    expect(Array.from(r.predicted!.subarray(0, 200))).toEqual(digits)
  }, 60_000)

  it('keeps its accuracy at sigma 0.1 within 1 point of clean, with mean |delta logit| < 0.5', async () => {
    const before = tf.memory().numTensors
    const noise = await noiseRobustness(model, test, { saltPepperRates: [0.02, 0.05, 0.1], seed: 42 })
    expect(tf.memory().numTensors).toBe(before)
    const clean = noise.gaussian.find((g) => g.sigma === 0)!.accuracy
    const at01 = noise.gaussian.find((g) => g.sigma === 0.1)!.accuracy
    console.log(
      `noise: ${noise.gaussian.map((g) => `sigma ${g.sigma}: ${(g.accuracy * 100).toFixed(2)} %`).join(', ')}; ` +
        `salt-and-pepper ${noise.saltPepper.map((s) => `${s.rate}: ${(s.accuracy * 100).toFixed(2)} %`).join(', ')}; ` +
        `mean |delta logit| ${noise.meanLogitDelta.toFixed(4)}`,
    )
    expect(Math.abs(clean - at01)).toBeLessThanOrEqual(0.01)
    expect(noise.meanLogitDelta).toBeLessThan(0.5)
    expect(noise.meanLogitDelta).toBeGreaterThan(0)
    // Heavier noise hurts more than sigma 0.1.
    expect(noise.gaussian.find((g) => g.sigma === 0.5)!.accuracy).toBeLessThan(clean)

    const dir = await mkdtemp(join(tmpdir(), 'mnist-eval-trained-'))
    try {
      const evaluation = await evaluate(model, test)
      const { files } = await writeReport({ evaluation, noise, images: test, dataset: 'mnist' }, dir)
      expect(files).toHaveLength(5)
      for (const f of files.filter((p) => p.endsWith('.png')))
        expect(PNG.sync.read(readFileSync(f)).width).toBeGreaterThan(200)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  }, 120_000)
})
