// SimdBackend.fusedPredict against tfjs-layers' model.predict on 'cpu' for the same architecture and weights.
import * as tfjs from '@tensorflow/tfjs'
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest'
import '../index'
import { maxRelErr, randn, useMode } from '../_testing'
import { setThreadsCount } from '../flags'
import type { SimdBackend } from '../backend'
import { FusedInputError, FusedNetworkError } from '../errors'
import type { FusedModelSpec, FusedSpecKnownLayer } from './spec'
import { MODEL_C, randomSpec, rng } from './_reference'
import { PREDICT_CHUNK } from './predict'

afterAll(() => setThreadsCount(2))

/** The tfjs-layers model @mnist/model builds for a spec (same layers, same weight order). */
function layersModel(spec: FusedModelSpec): tfjs.Sequential {
  const model = tfjs.sequential()
  const L = tfjs.layers
  let first = true
  const input = () => (first ? ((first = false), { inputShape: [...spec.inputShape] }) : {})
  const normAct = (bn: boolean | undefined, act: string | undefined) => {
    if (bn) model.add(L.batchNormalization({ epsilon: spec.batchNormEpsilon, momentum: spec.batchNormMomentum }))
    if ((act ?? 'relu') === 'relu') model.add(L.activation({ activation: 'relu' }))
  }
  for (const l of spec.layers as FusedSpecKnownLayer[]) {
    if (l.type === 'conv') {
      const { filters, kernelSize, padding, strides = 1 } = l
      const useBias = l.useBias ?? !l.batchNorm
      model.add(L.conv2d({ ...input(), filters, kernelSize, strides, padding, useBias }))
      normAct(l.batchNorm, l.activation)
    } else if (l.type === 'dense') {
      model.add(L.dense({ ...input(), units: l.units, useBias: l.useBias ?? !l.batchNorm }))
      normAct(l.batchNorm, l.activation)
    } else if (l.type === 'maxPool') {
      const p = l.poolSize ?? 2
      model.add(L.maxPooling2d({ ...input(), poolSize: p, strides: p, padding: 'valid' }))
    } else if (l.type === 'globalAvgPool') model.add(L.globalAveragePooling2d({ ...input() }))
    else if (l.type === 'flatten') model.add(L.flatten({ ...input() }))
    else model.add(L.dropout({ ...input(), rate: l.rate }))
  }
  model.add(L.dense({ units: spec.classes }))
  return model
}

/** Random weights, moving statistics away from 0 / 1 so that folding them matters. */
function randomWeights(model: tfjs.Sequential, seed: number): void {
  const weights = model.weights.map((w, i) => {
    const shape = w.shape as number[]
    const r = randn(
      shape.reduce((a, b) => a * b, 1),
      seed + i,
    )
    const fanIn = shape.length > 1 ? shape.slice(0, -1).reduce((a, b) => a * b, 1) : 1
    const name = w.originalName
    const v = name.endsWith('moving_variance')
      ? r.map((x) => 0.5 + Math.abs(x))
      : name.endsWith('gamma')
        ? r.map((x) => 1 + 0.3 * x)
        : name.endsWith('kernel')
          ? r.map((x) => (1.5 * x) / Math.sqrt(fanIn))
          : r.map((x) => 0.3 * x)
    return tf.tensor(v, shape)
  })
  model.setWeights(weights)
  tf.dispose(weights)
}

describe('SimdBackend.fusedPredict', () => {
  let backend: SimdBackend
  beforeAll(async () => {
    await useMode({ label: 'relaxed-simd, 2 threads', build: 'relaxed-simd', threads: 2, sharedMemory: true })
    backend = tf.findBackend('simd') as SimdBackend
  })

  const rand = rng(4242)
  const specs: [string, FusedModelSpec][] = [
    ['model C', MODEL_C],
    ...Array.from({ length: 4 }, (_, i) => [`random ${i}`, randomSpec(rand).spec] as [string, FusedModelSpec]),
  ]

  test.each(specs)('%s: the logits of model.predict (cpu) within 1e-4, no tensor left behind', async (name, spec) => {
    await tf.setBackend('cpu')
    const model = layersModel(spec)
    randomWeights(model, 7)
    // model C: more than one pass (and a partial one); the others one partial pass
    const n = name === 'model C' ? PREDICT_CHUNK + 6 : 70
    const images = tf.tensor4d(randn(n * 784, 3), [n, 28, 28, 1])
    const expected = (model.predict(images) as tf.Tensor).dataSync()
    await tf.setBackend('simd')
    const weights = model.getWeights()
    const before = tf.memory().numTensors
    const logits = backend.fusedPredict(spec, weights, images)
    expect(logits.shape).toEqual([n, 10])
    expect(maxRelErr(logits.dataSync(), expected)).toBeLessThan(1e-4)
    logits.dispose()
    expect(tf.memory().numTensors).toBe(before)
    tf.dispose([images])
    model.dispose()
  })

  test('keeps the folded weights for the same weight tensors and refolds new ones', async () => {
    await tf.setBackend('simd')
    const model = layersModel(MODEL_C)
    randomWeights(model, 11)
    const images = tf.tensor4d(randn(5 * 784, 5), [5, 28, 28, 1])
    const weights = model.getWeights()
    const read = vi.spyOn(weights[0]!, 'dataSync')
    const first = backend.fusedPredict(MODEL_C, weights, images)
    const second = backend.fusedPredict(MODEL_C, weights, images)
    expect(read).toHaveBeenCalledTimes(1)
    expect(Array.from(second.dataSync())).toEqual(Array.from(first.dataSync()))
    randomWeights(model, 12) // assigns new values to the same variables
    const third = backend.fusedPredict(MODEL_C, model.getWeights(), images)
    expect(read).toHaveBeenCalledTimes(2)
    expect(maxRelErr(third.dataSync(), first.dataSync())).toBeGreaterThan(1e-3)
    tf.dispose([first, second, third, images])
    model.dispose()
  })

  test('frees a folded model as soon as its model is disposed, without another call', async () => {
    await tf.setBackend('simd')
    const predictor = () => (backend as unknown as { predictor: { size: number } }).predictor
    const images = tf.tensor4d(randn(3 * 784, 6), [3, 28, 28, 1])
    for (const e of [0, 1]) {
      const model = layersModel(MODEL_C)
      randomWeights(model, 20 + e)
      backend.fusedPredict(MODEL_C, model.getWeights(), images).dispose()
      expect(predictor().size).toBeGreaterThanOrEqual(1)
      model.dispose()
      expect(predictor().size).toBe(0)
    }
    images.dispose()
  })

  test('throws FusedNetworkError for a layer it cannot run, FusedInputError for misfit weights or images', async () => {
    await tf.setBackend('simd')
    const model = layersModel(MODEL_C)
    const weights = model.getWeights()
    const images = tf.zeros([2, 28, 28, 1]) as tf.Tensor4D
    const odd = { ...MODEL_C, layers: [...MODEL_C.layers.slice(0, 2), { type: 'upSampling' }] }
    expect(() => backend.fusedPredict(odd, weights, images)).toThrow(FusedNetworkError)
    expect(() => backend.fusedPredict(MODEL_C, weights.slice(1), images)).toThrow(FusedInputError)
    const small = tf.zeros([2, 14, 14, 1]) as tf.Tensor4D
    expect(() => backend.fusedPredict(MODEL_C, weights, small)).toThrow(FusedInputError)
    tf.dispose([images, small])
    model.dispose()
  })
})
