import { describe, expect, it } from 'vitest'
import {
  canonicalModelConfig,
  checkModelConfig,
  describeModelConfig,
  parseModelConfig,
  sameModelConfig,
} from './architecture'
import { DEFAULT_MODEL_CONFIG, type ModelConfig } from './config'
import { ModelConfigError, ParamBudgetError } from './errors'

const GAP: ModelConfig = {
  layers: [
    { type: 'conv', filters: 8, kernelSize: 3, padding: 'same', batchNorm: true },
    { type: 'conv', filters: 16, kernelSize: 1, strides: 2, padding: 'valid', useBias: true },
    { type: 'globalAvgPool' },
    { type: 'dense', units: 12, batchNorm: true, activation: 'linear' },
  ],
}

describe('checkModelConfig', () => {
  it('counts the parameters without building, and throws the budget error createModel throws', () => {
    expect(checkModelConfig(DEFAULT_MODEL_CONFIG).params).toBe(21_778)
    // 72 + 16 (conv1 + bn) + 8*16 + 16 (conv2 with bias) + 16*12 + 24 (dense + bn) + 12*10 + 10
    expect(checkModelConfig(GAP).params).toBe(72 + 16 + 144 + 192 + 24 + 130)
    expect(() => checkModelConfig(GAP, 500)).toThrow(ParamBudgetError)
    expect(() => checkModelConfig({ layers: [{ type: 'flatten' }, { type: 'dense', units: 64 }] })).toThrow(
      /50,890 trainable parameters; the budget is fewer than 25,000/,
    )
  })
})

describe('canonicalModelConfig / sameModelConfig', () => {
  it('writes every default out, so a config spelt out in full is the same network', () => {
    const spelt = canonicalModelConfig(GAP)
    expect(spelt.layers[0]).toEqual({
      type: 'conv',
      filters: 8,
      kernelSize: 3,
      strides: 1,
      padding: 'same',
      useBias: false,
      batchNorm: true,
      activation: 'relu',
    })
    expect(sameModelConfig(spelt, GAP)).toBe(true)
    expect(sameModelConfig({ ...GAP, batchNormEpsilon: 1e-5 }, GAP)).toBe(true)
    expect(sameModelConfig({ ...GAP, batchNormEpsilon: 1e-3 }, GAP)).toBe(false)
    const wider = { layers: GAP.layers.map((l) => (l.type === 'dense' ? { ...l, units: 13 } : l)) }
    expect(sameModelConfig(wider, GAP)).toBe(false)
  })
})

describe('describeModelConfig', () => {
  it('names each layer, only the settings that differ from the defaults, and the logits layer', () => {
    expect(describeModelConfig(GAP)).toBe(
      'conv8 3x3 bn relu · conv16 1x1 valid/2 relu · globalAvgPool · dense12 bn · dense10',
    )
    expect(
      describeModelConfig({
        layers: [
          { type: 'conv', filters: 4, kernelSize: 5, padding: 'same', batchNorm: true, useBias: true },
          { type: 'flatten' },
        ],
      }),
    ).toBe('conv4 5x5 bias bn relu · flatten · dense10')
    expect(describeModelConfig(DEFAULT_MODEL_CONFIG)).toMatch(
      /^conv8 3x3 bn relu · maxPool2 · .* dropout 0.05 · dense10$/,
    )
  })
})

describe('parseModelConfig', () => {
  it('accepts a valid config and refuses unknown fields, a missing layer list and bad values, naming the path', () => {
    expect(parseModelConfig(JSON.parse(JSON.stringify(GAP)))).toEqual(GAP)
    const cases: Array<[unknown, RegExp]> = [
      [[], /\(root\): expected an object with "layers", found an array/],
      [{ layer: [] }, /model config layer: unknown field \(expected one of layers, /],
      [{}, /model config layers: expected an array of layer specs, found undefined/],
      [
        { layers: [{ type: 'conv', filters: 8, kernelSize: 3, padding: 'same', filter: 2 }] },
        /layers\[0\]\.filter: unknown/,
      ],
      [{ layers: [7] }, /layers\[0\]: expected a layer spec object, found number 7/],
      [{ layers: [{ type: 'pool' }] }, /layers\[0\]\.type: expected one of conv, maxPool/],
      [{ layers: [{ type: 'conv', filters: 8, kernelSize: 3, padding: 'full' }, { type: 'flatten' }] }, /padding/],
    ]
    for (const [value, message] of cases) {
      expect(() => parseModelConfig(value)).toThrow(ModelConfigError)
      expect(() => parseModelConfig(value)).toThrow(message)
    }
  })
})
