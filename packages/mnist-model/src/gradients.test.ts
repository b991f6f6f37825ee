// Gradients need the kernels' gradient registrations; @tensorflow/tfjs registers them all (one tfjs-core copy).
import * as tf from '@tensorflow/tfjs'
import { describe, expect, it } from 'vitest'
import { createModel } from './model'

describe('gradient flow', () => {
  it('every trainable weight gets a finite gradient and not all of them are zero', () => {
    const model = createModel({ seed: 11 })
    const before = tf.memory().numTensors
    const x = tf.randomNormal([4, 28, 28, 1], 0, 1, 'float32', 5)
    const y = tf.tidy(() => tf.oneHot(tf.tensor1d([3, 1, 4, 1], 'int32'), 10))
    const vars = model.trainableWeights.map((w) => w.read() as tf.Variable)
    const { value, grads } = tf.variableGrads(
      () => tf.losses.softmaxCrossEntropy(y, model.apply(x, { training: true }) as tf.Tensor) as tf.Scalar,
      vars,
    )
    expect(Number.isFinite(value.dataSync()[0])).toBe(true)
    expect(Object.keys(grads).sort()).toEqual(vars.map((v) => v.name).sort())
    for (const v of vars) {
      const g = grads[v.name]!.dataSync()
      expect(g.every(Number.isFinite), `${v.name} finite`).toBe(true)
      expect(
        g.some((e) => e !== 0),
        `${v.name} non-zero`,
      ).toBe(true)
    }
    tf.dispose([x, y, value, ...Object.values(grads)])
    expect(tf.memory().numTensors).toBe(before)
    model.dispose()
  })
})
