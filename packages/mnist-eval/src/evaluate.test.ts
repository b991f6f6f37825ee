import * as tf from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest'
import { constantImages, constantModel, nearestLevelModel } from '../test/tiny-models'
import { DatasetShapeError, InvalidOptionError, ModelShapeError } from './errors'
import { evaluate } from './evaluate'

const logSumExp = (xs: number[]): number => {
  const m = Math.max(...xs)
  return m + Math.log(xs.reduce((s, x) => s + Math.exp(x - m), 0))
}

describe('evaluate on a constant model (always predicts 3)', () => {
  const bias = [0, 1, 0, 5, 0, 0, 0, 0, 0, 2]
  let model: LayersModel
  beforeAll(() => {
    model = constantModel(bias)
  })
  afterAll(() => model.dispose())

  const data = constantImages([0, 10, 20, 30, 40, 50, 60], [3, 3, 1, 0, 3, 9, 9])

  it('gives the exact accuracy, loss, confusion, per-class metrics and misclassified indices', async () => {
    const r = await evaluate(model, data)
    expect(r.count).toBe(7)
    expect(r.accuracy).toBeCloseTo(3 / 7, 12)
    const expectedLoss = [3, 3, 1, 0, 3, 9, 9].reduce((s, label) => s + logSumExp(bias) - bias[label]!, 0) / 7
    expect(r.loss).toBeCloseTo(expectedLoss, 5)
    const column3 = [1, 1, 0, 3, 0, 0, 0, 0, 0, 2]
    expect(r.confusion.map((row) => row[3])).toEqual(column3)
    expect(r.confusion.flat().reduce((a, b) => a + b, 0)).toBe(7)
    expect(r.perClass[3]).toEqual({
      digit: 3,
      precision: 3 / 7,
      recall: 1,
      f1: (2 * (3 / 7)) / (3 / 7 + 1),
      support: 3,
    })
    // Never predicted: precision 0, not NaN.
    expect(r.perClass[9]).toEqual({ digit: 9, precision: 0, recall: 0, f1: 0, support: 2 })
    expect(r.perClass[5]).toEqual({ digit: 5, precision: 0, recall: 0, f1: 0, support: 0 })
    expect(r.misclassified).toEqual([2, 3, 5, 6])
    expect(Array.from(r.predicted!)).toEqual([3, 3, 3, 3, 3, 3, 3])
  })

  it('reads a softmax last layer as probabilities (same predictions and loss)', async () => {
    const softmaxModel = constantModel(bias, 'softmax')
    try {
      const a = await evaluate(model, data)
      const b = await evaluate(softmaxModel, data)
      expect(b.accuracy).toBe(a.accuracy)
      expect(b.loss).toBeCloseTo(a.loss, 5)
      expect(b.confusion).toEqual(a.confusion)
    } finally {
      softmaxModel.dispose()
    }
  })
})

describe('evaluate on an input-dependent model', () => {
  let model: LayersModel
  beforeAll(() => {
    model = nearestLevelModel()
  })
  afterAll(() => model.dispose())

  // Mean normalised pixel m = (v / 255 - 0.1307) / 0.3081; the model predicts the k in 0..3 nearest to m.
  const values = [0, 40, 80, 120, 160, 200, 255, 255, 0, 120]
  const labels = [0, 0, 1, 1, 2, 2, 3, 2, 1, 1]
  const expected = (mean: number, std: number): { predicted: number[]; loss: number } => {
    let loss = 0
    const predicted = values.map((v, i) => {
      const m = (v / 255 - mean) / std
      const logits = [0, 1, 2, 3].map((k) => k * m - (k * k) / 2)
      loss += logSumExp(logits) - logits[labels[i]!]!
      return logits.indexOf(Math.max(...logits))
    })
    return { predicted, loss: loss / values.length }
  }

  it('matches predictions and loss recomputed by hand, with the default MNIST normalisation', async () => {
    const r = await evaluate(model, constantImages(values, labels))
    const e = expected(0.1307, 0.3081)
    expect(Array.from(r.predicted!)).toEqual(e.predicted)
    expect(e.predicted).toEqual([0, 0, 1, 1, 2, 2, 3, 3, 0, 1])
    expect(r.loss).toBeCloseTo(e.loss, 4)
    expect(r.misclassified).toEqual([7, 8])
    expect(r.accuracy).toBeCloseTo(0.8, 12)
  })

  it('applies a given normalisation', async () => {
    const r = await evaluate(model, constantImages(values, labels), { normalization: { mean: 0, std: 0.25 } })
    const e = expected(0, 0.25)
    expect(Array.from(r.predicted!)).toEqual(e.predicted)
    expect(r.loss).toBeCloseTo(e.loss, 4)
  })

  it('gives the same result for every batch size and never feeds more than batchSize images at once', async () => {
    const data = constantImages(values, labels)
    const reference = await evaluate(model, data, { batchSize: 256 })
    const spy = vi.spyOn(model, 'predict')
    try {
      for (const batchSize of [1, 3, 7]) {
        spy.mockClear()
        const r = await evaluate(model, data, { batchSize })
        expect(r.confusion).toEqual(reference.confusion)
        expect(r.loss).toBeCloseTo(reference.loss, 6)
        expect(spy).toHaveBeenCalledTimes(Math.ceil(values.length / batchSize))
        for (const call of spy.mock.calls) expect((call[0] as tf.Tensor).shape[0]).toBeLessThanOrEqual(batchSize)
      }
    } finally {
      spy.mockRestore()
    }
  })

  it('evaluates only the first `limit` images', async () => {
    const r = await evaluate(model, constantImages(values, labels), { limit: 4 })
    expect(r.count).toBe(4)
    expect(r.accuracy).toBe(1)
    expect(r.predicted).toHaveLength(4)
  })

  it('leaks no tensors', async () => {
    const data = constantImages(values, labels)
    await evaluate(model, data, { batchSize: 3 }) // warm-up: the first call may create lasting backend state
    const before = tf.memory().numTensors
    await evaluate(model, data, { batchSize: 3 })
    await evaluate(model, data)
    expect(tf.memory().numTensors).toBe(before)
  })

  it('rejects data that does not fit, naming what is wrong', async () => {
    const good = constantImages(values, labels)
    await expect(evaluate(model, { ...good, labels: good.labels.subarray(1) })).rejects.toThrow(
      /labels has 9 entries but count is 10/,
    )
    await expect(evaluate(model, { ...good, images: good.images.subarray(1) })).rejects.toThrow(DatasetShapeError)
    await expect(evaluate(model, { ...good, rows: 14, cols: 56 })).rejects.toThrow(
      /images are 14x56 but the model expects 28x28/,
    )
    // The model has 4 classes: label 7 cannot be scored.
    await expect(evaluate(model, constantImages([0], [7]))).rejects.toThrow(
      /labels\[0\] is 7 but the model has only 4 classes/,
    )
    await expect(evaluate(model, { ...good, count: 0 })).rejects.toThrow(/count must be a positive integer/)
    await expect(
      evaluate(model, { ...good, images: Array.from(good.images) as unknown as Uint8Array }),
    ).rejects.toThrow(/images must be a Uint8Array/)
  })

  it('rejects bad options and non-models', async () => {
    const data = constantImages(values, labels)
    await expect(evaluate(model, data, { batchSize: 0 })).rejects.toThrow(InvalidOptionError)
    await expect(evaluate(model, data, { batchSize: 2.5 })).rejects.toThrow(
      /option "batchSize": expected a positive integer, found 2.5/,
    )
    await expect(evaluate(model, data, { normalization: { mean: 0, std: 0 } })).rejects.toThrow(
      /option "normalization"/,
    )
    await expect(evaluate({} as LayersModel, data)).rejects.toThrow(ModelShapeError)
  })
})
