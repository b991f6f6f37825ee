import * as tfc from '@tensorflow/tfjs-core'
import { afterEach, describe, expect, it } from 'vitest'
import { weightsOf } from '../test/helpers'
import { PARAM_BUDGET, type LayerSpec } from './config'
import { MnistModelError, ParamBudgetError } from './errors'
import { assertParamBudget, countParams, createModel, getModelConfig } from './model'

const models: { dispose(): void }[] = []
const track = <T extends { dispose(): void }>(m: T): T => (models.push(m), m)
afterEach(() => {
  for (const m of models.splice(0)) m.dispose()
})

describe('createModel', () => {
  it('has fewer than 25,000 trainable params (21,778 by default)', () => {
    const model = track(createModel({ seed: 1 }))
    expect(countParams(model)).toBe(21_778)
    expect(countParams(model)).toBeLessThan(PARAM_BUDGET)
    expect(getModelConfig(model)?.layers.length).toBeGreaterThan(0)
  })

  it('accepts 28x28x1 input, has 10 outputs, and a batch of 32 gives [32, 10]', () => {
    const model = track(createModel({ seed: 1 }))
    expect(model.inputs[0]!.shape).toEqual([null, 28, 28, 1])
    expect(model.outputs[0]!.shape).toEqual([null, 10])
    const out = tfc.tidy(
      () => (model.predict(tfc.randomNormal([32, 28, 28, 1], 0, 1, 'float32', 3)) as tfc.Tensor).shape,
    )
    expect(out).toEqual([32, 10])
    const one = tfc.tidy(() => (model.predict(tfc.zeros([1, 28, 28, 1])) as tfc.Tensor).shape)
    expect(one).toEqual([1, 10])
  })

  it('outputs logits, not probabilities', () => {
    const model = track(createModel({ seed: 2 }))
    const sums = tfc.tidy(
      () =>
        tfc
          .sum(model.predict(tfc.randomNormal([8, 28, 28, 1], 0, 1, 'float32', 1)) as tfc.Tensor, 1)
          .arraySync() as number[],
    )
    expect(sums.some((s) => Math.abs(s - 1) > 1e-3)).toBe(true)
  })

  it('same seed gives bit-identical weights, another seed different ones', () => {
    const a = weightsOf(track(createModel({ seed: 7 })))
    const b = weightsOf(track(createModel({ seed: 7 })))
    const c = weightsOf(track(createModel({ seed: 8 })))
    expect(a.length).toBe(b.length)
    a.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(b[i]!.buffer))).toBe(true))
    const kernels = (ws: Float32Array[]) => ws.filter((w) => w.some((v) => v !== 0 && v !== 1))
    kernels(a).forEach((w, i) => expect(Array.from(w)).not.toEqual(Array.from(kernels(c)[i]!)))
  })

  it('initialises like PyTorch: kernels U(+-1/sqrt(fan_in)), biases U(+-1/sqrt(fan_in)), BN gamma 1 beta 0', () => {
    const model = track(
      createModel({
        seed: 3,
        budget: Infinity,
        layers: [
          { type: 'conv', filters: 32, kernelSize: 3, padding: 'same' },
          { type: 'flatten' },
          { type: 'dense', units: 8, batchNorm: true },
        ],
      }),
    )
    const byName = new Map(model.weights.map((w) => [w.originalName, w.read().dataSync() as Float32Array]))
    const check = (name: string, fanIn: number) => {
      const w = byName.get(name)!
      const bound = 1 / Math.sqrt(fanIn)
      const max = w.reduce((m, v) => Math.max(m, Math.abs(v)), 0)
      expect(max).toBeLessThanOrEqual(bound + 1e-7)
      expect(max).toBeGreaterThan(bound * 0.8) // uniform, not a narrower normal
    }
    check('conv1/kernel', 9)
    check('conv1/bias', 9)
    check('dense1/kernel', 28 * 28 * 32)
    check('logits/kernel', 8)
    check('logits/bias', 8)
    expect(byName.has('dense1/bias')).toBe(false) // BN follows: no bias by default
    expect(Array.from(byName.get('dense1_bn/gamma')!)).toEqual(Array(8).fill(1))
    expect(Array.from(byName.get('dense1_bn/beta')!)).toEqual(Array(8).fill(0))
    const bn = model.getLayer('dense1_bn').getConfig()
    expect(bn.epsilon).toBe(1e-5)
    expect(bn.momentum).toBe(0.9)
  })

  it('throws ParamBudgetError naming the count for an oversized config, leaking nothing', () => {
    const before = tfc.memory().numTensors
    const layers: LayerSpec[] = [
      { type: 'conv', filters: 8, kernelSize: 3, padding: 'same' },
      { type: 'maxPool' },
      { type: 'conv', filters: 16, kernelSize: 3, padding: 'same' },
      { type: 'maxPool' },
      { type: 'flatten' },
      { type: 'dense', units: 64 },
    ]
    let err: unknown
    try {
      createModel({ layers })
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ParamBudgetError)
    expect(err).toBeInstanceOf(MnistModelError)
    expect((err as ParamBudgetError).params).toBe(52_138)
    expect((err as ParamBudgetError).budget).toBe(25_000)
    expect((err as Error).message).toContain('52,138')
    expect((err as Error).message).toContain('25,000')
    expect(tfc.memory().numTensors).toBe(before)
    // An explicit budget allows experiments above it.
    expect(countParams(track(createModel({ layers, budget: Infinity })))).toBe(52_138)
  })

  it('assertParamBudget: strictly under the budget', () => {
    expect(assertParamBudget(24_999)).toBe(24_999)
    expect(() => assertParamBudget(25_000)).toThrow(ParamBudgetError)
    const model = track(createModel({ seed: 1 }))
    expect(assertParamBudget(model)).toBe(21_778)
    expect(() => assertParamBudget(model, 21_778)).toThrow(/21,778 trainable parameters/)
  })

  it('rejects a bad seed', () => {
    expect(() => createModel({ seed: -1 })).toThrow(/seed: expected a non-negative integer, found -1/)
  })
})
