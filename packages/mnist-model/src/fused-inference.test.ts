import * as tfc from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { afterEach, describe, expect, it } from 'vitest'
import { randomPixels } from '../test/helpers'
import type { ResolvedModelConfig } from './config'
import { modelLogits, usesFusedInference, type FusedInferenceBackend } from './fused-inference'
import { createModel, getModelConfig } from './model'
import { predict, toInputTensor } from './predict'

// modelLogits / predict on a backend with fused inference, faked on 'cpu' (the real one is @mnist/backend-simd's,
// which this package does not depend on; tests/integration runs it). The fake answers model.predict + 1, so that a
// result shows which path made it.

interface Call {
  spec: ResolvedModelConfig
  weights: readonly tfc.Tensor[]
  shape: number[]
}

const model = createModel({
  seed: 3,
  layers: [
    { type: 'conv', filters: 4, kernelSize: 3, padding: 'same', batchNorm: true },
    { type: 'maxPool', poolSize: 4 },
    { type: 'flatten' },
  ],
})
const backend = tfc.backend() as unknown as Partial<FusedInferenceBackend>
let calls: Call[] = []

function installFake(fail?: Error): void {
  calls = []
  backend.fusedPredict = (spec, weights, images) => {
    calls.push({ spec, weights, shape: images.shape })
    if (fail) throw fail
    return tfc.tidy(() => tfc.add(model.predict(images) as tfc.Tensor, 1) as tfc.Tensor2D)
  }
}

afterEach(() => {
  delete backend.fusedPredict
})

const x = (n: number): tfc.Tensor4D => toInputTensor(randomPixels(n, 9))
const read = (t: tfc.Tensor): number[] => {
  const v = Array.from(t.dataSync())
  t.dispose()
  return v
}

describe('modelLogits', () => {
  it('calls the backend with the model config, getWeights() and the images, batch by batch, in order', () => {
    installFake()
    const images = x(5)
    const before = tfc.memory().numTensors
    const fused = read(modelLogits(model, images, { batchSize: 2 }))
    expect(tfc.memory().numTensors).toBe(before)
    expect(calls.map((c) => c.shape)).toEqual([
      [2, 28, 28, 1],
      [2, 28, 28, 1],
      [1, 28, 28, 1],
    ])
    expect(calls[0]!.spec).toBe(getModelConfig(model))
    const weights = model.getWeights()
    calls.forEach((c) => c.weights.forEach((w, i) => expect(w).toBe(weights[i])))
    const plain = read(model.predict(images) as tfc.Tensor)
    fused.forEach((v, i) => expect(v).toBeCloseTo(plain[i]! + 1, 5))
    images.dispose()
  })

  it('uses model.predict without the backend method, with fused: false, and for a model not built by createModel', () => {
    const images = x(2)
    const plain = read(model.predict(images) as tfc.Tensor)
    expect(usesFusedInference(model)).toBe(false)
    expect(read(modelLogits(model, images))).toEqual(plain)
    installFake()
    expect(usesFusedInference(model)).toBe(true)
    expect(read(modelLogits(model, images, { fused: false }))).toEqual(plain)
    const foreign = tfl.sequential({
      layers: [tfl.layers.flatten({ inputShape: [28, 28, 1] }), tfl.layers.dense({ units: 10 })],
    })
    expect(usesFusedInference(foreign)).toBe(false)
    read(modelLogits(foreign, images))
    expect(calls).toHaveLength(0)
    foreign.dispose()
    images.dispose()
  })

  it('falls back to model.predict when the backend refuses the network (SIMD_ code), and does not ask again', () => {
    const refusing = createModel({ seed: 4, layers: [{ type: 'flatten' }] })
    installFake(Object.assign(new Error('not supported'), { code: 'SIMD_FUSED_UNSUPPORTED' }))
    const images = x(3)
    const before = tfc.memory().numTensors
    const plain = read(refusing.predict(images) as tfc.Tensor)
    expect(read(modelLogits(refusing, images, { batchSize: 2 }))).toEqual(plain)
    expect(calls).toHaveLength(1)
    expect(usesFusedInference(refusing)).toBe(false)
    expect(read(modelLogits(refusing, images))).toEqual(plain)
    expect(calls).toHaveLength(1)
    expect(tfc.memory().numTensors).toBe(before)
    // other errors are not a refusal
    installFake(new TypeError('broken'))
    expect(() => modelLogits(model, images)).toThrow('broken')
    images.dispose()
    refusing.dispose()
  })
})

describe('predict on a backend with fused inference', () => {
  it('goes through it (fused: false does not), probabilities from its logits, no tensor left', () => {
    const px = randomPixels(4, 2)
    const plain = predict(model, px)
    installFake()
    const before = tfc.memory().numTensors
    const fused = predict(model, px)
    expect(tfc.memory().numTensors).toBe(before)
    expect(calls).toHaveLength(1)
    // logits + 1 on every class: the same softmax
    fused.forEach((p, i) => p.probabilities.forEach((v, j) => expect(v).toBeCloseTo(plain[i]!.probabilities[j]!, 5)))
    predict(model, px, { fused: false })
    expect(calls).toHaveLength(1)
  })
})
