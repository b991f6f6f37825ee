import { readFileSync } from 'node:fs'
import * as tf from '@tensorflow/tfjs-core'
import { selectBackend } from '@mnist/backends'
import { loadMnist } from '@mnist/data'
import { evaluate } from '@mnist/eval'
import {
  createModel,
  loadPretrained,
  modelLogits,
  predict,
  toInputTensor,
  usesFusedInference,
  type ModelConfig,
} from '@mnist/model'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'

// @mnist/model's predict / modelLogits and @mnist/eval's evaluate on the simd backend go through its fused inference
// (SimdBackend.fusedPredict): the same numbers as model.predict (tfjs ops) to float rounding, and no tensor left.

const modelCFile = new URL('../../../../examples/architectures/model-c.json', import.meta.url)
let test: Awaited<ReturnType<typeof loadMnist>>['test']
const models: Record<string, LayersModel> = {}

/** Model C with random weights and batch norm statistics far from the fresh 0 / 1 (folding them must matter). */
function randomModelC(): LayersModel {
  const config = JSON.parse(readFileSync(modelCFile, 'utf8')) as ModelConfig
  const model = createModel({ ...config, seed: 3 })
  const weights = model.weights.map((w, i) => {
    const shape = w.shape as number[]
    if (/moving_variance/.test(w.name)) return tf.randomUniform(shape, 0.5, 2, 'float32', i)
    if (/moving_mean|beta/.test(w.name)) return tf.randomUniform(shape, -0.3, 0.3, 'float32', i)
    if (/gamma/.test(w.name)) return tf.randomUniform(shape, 0.7, 1.3, 'float32', i)
    return w.read().clone()
  })
  model.setWeights(weights)
  tf.dispose(weights)
  return model
}

beforeAll(async () => {
  await selectBackend('simd')
  test = (await loadMnist()).test
  models.default = (await loadPretrained()).model
  models.modelC = randomModelC()
})
afterAll(() => Object.values(models).forEach((m) => m.dispose()))

describe.each(['default', 'modelC'])('fused inference on simd: %s', (name) => {
  it('modelLogits and predict equal model.predict within 1e-4, without leaking tensors', () => {
    const model = models[name]!
    const px = test.images.subarray(0, 300 * 784)
    const x = toInputTensor(px)
    const before = tf.memory().numTensors
    const fused = modelLogits(model, x, { batchSize: 128 })
    expect(usesFusedInference(model)).toBe(true)
    const plain = model.predict(x) as tf.Tensor
    const diff = tf.tidy(() => tf.max(tf.abs(tf.sub(fused, plain))).dataSync()[0]!)
    expect(diff).toBeLessThan(1e-4)
    tf.dispose([fused, plain])
    const a = predict(model, px)
    const b = predict(model, px, { fused: false })
    a.forEach((p, i) => {
      expect(p.digit).toBe(b[i]!.digit)
      p.probabilities.forEach((v, j) => expect(Math.abs(v - b[i]!.probabilities[j]!)).toBeLessThan(1e-4))
    })
    expect(tf.memory().numTensors).toBe(before)
    x.dispose()
  })

  it('evaluate gives the same predictions and loss (within 1e-4) as through model.predict', async () => {
    const model = models[name]!
    const before = tf.memory().numTensors
    const a = await evaluate(model, test, { limit: 1000, batchSize: 250 })
    const b = await evaluate(model, test, { limit: 1000, batchSize: 250, fused: false })
    expect(Array.from(a.predicted!)).toEqual(Array.from(b.predicted!))
    expect(Math.abs(a.loss - b.loss)).toBeLessThan(1e-4)
    expect(tf.memory().numTensors).toBe(before)
  })
})
