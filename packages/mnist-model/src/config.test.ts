import { describe, expect, it } from 'vitest'
import { DEFAULT_MODEL_CONFIG, PARAM_BUDGET, planLayers, resolveConfig, type LayerSpec } from './config'
import { ModelConfigError } from './errors'

const trainable = (layers: LayerSpec[]): number =>
  planLayers(resolveConfig({ layers })).reduce((s, l) => s + l.trainableParams, 0)

describe('config', () => {
  it('the default: 21,778 trainable params, 7x7x24 flattened into the logits', () => {
    const plan = planLayers(resolveConfig())
    expect(plan.reduce((s, l) => s + l.trainableParams, 0)).toBe(21_778)
    expect(plan.reduce((s, l) => s + l.nonTrainableParams, 0)).toBe(144)
    expect(plan.find((l) => l.name === 'conv4')?.outputShape).toEqual([7, 7, 24])
    expect(plan.at(-1)).toMatchObject({ name: 'logits', outputShape: [10], trainableParams: 11_770 })
    expect(DEFAULT_MODEL_CONFIG.layers.some((l) => l.type === 'dropout')).toBe(true)
    expect(Object.isFrozen(DEFAULT_MODEL_CONFIG.layers[0])).toBe(true)
    expect(PARAM_BUDGET).toBe(25_000)
  })

  it('counts the reference designs exactly like PyTorch (C: 22,098, B: 21,842, A: 52,186)', () => {
    const block = (filters: number): LayerSpec[] => [
      { type: 'conv', filters, kernelSize: 3, padding: 'same', batchNorm: true, useBias: true },
      { type: 'maxPool' },
    ]
    const b: LayerSpec[] = [
      ...block(10),
      ...block(20),
      ...block(28),
      { type: 'flatten' },
      { type: 'dense', units: 56 },
      { type: 'dropout', rate: 0.15 },
    ]
    expect(trainable(b)).toBe(21_842)
    const a: LayerSpec[] = [
      ...block(8),
      ...block(16),
      { type: 'dropout', rate: 0.1 },
      { type: 'flatten' },
      { type: 'dense', units: 64 },
    ]
    expect(trainable(a)).toBe(52_186)
    const conv = (filters: number, kernelSize: number, padding: 'same' | 'valid' = 'same'): LayerSpec => ({
      type: 'conv',
      filters,
      kernelSize,
      padding,
      batchNorm: true,
    })
    const c: LayerSpec[] = [
      conv(8, 3),
      conv(16, 3),
      { type: 'maxPool' },
      conv(8, 1),
      conv(16, 3),
      conv(32, 3),
      { type: 'maxPool' },
      conv(16, 1),
      conv(32, 3),
      conv(32, 3, 'valid'),
      { type: 'globalAvgPool' },
    ]
    expect(trainable(c)).toBe(22_098)
  })

  it('rejects invalid specs with the path of the value', () => {
    const bad = (layers: unknown[], path: RegExp): void => {
      let err: unknown
      try {
        resolveConfig({ layers: layers as LayerSpec[] })
      } catch (e) {
        err = e
      }
      expect(err).toBeInstanceOf(ModelConfigError)
      expect((err as ModelConfigError).code).toBe('MODEL_CONFIG_INVALID')
      expect((err as ModelConfigError).path).toMatch(path)
      expect((err as Error).message).toMatch(/^\[@mnist\/model\] model config /)
    }
    bad([{ type: 'conv', filters: 0, kernelSize: 3, padding: 'same' }, { type: 'flatten' }], /^layers\[0\]\.filters$/)
    bad([{ type: 'conv', filters: 4, kernelSize: 3, padding: 'full' }, { type: 'flatten' }], /^layers\[0\]\.padding$/)
    bad([{ type: 'dense', units: 4 }], /^layers\[0\]$/) // dense on a 28x28x1 input
    bad([{ type: 'flatten' }, { type: 'conv', filters: 4, kernelSize: 3, padding: 'same' }], /^layers\[1\]$/)
    bad([{ type: 'conv', filters: 4, kernelSize: 29, padding: 'valid' }, { type: 'flatten' }], /^layers\[0\]$/)
    bad([{ type: 'dropout', rate: 1 }, { type: 'flatten' }], /^layers\[0\]\.rate$/)
    bad([{ type: 'pool' }], /^layers\[0\]\.type$/)
    bad([{ type: 'conv', filters: 4, kernelSize: 3, padding: 'same' }], /^layers$/) // does not end flat
    expect(() => resolveConfig({ batchNormMomentum: 1 })).toThrow(
      /batchNormMomentum: expected a number in \[0, 1\), found 1/,
    )
    expect(() => resolveConfig({ inputShape: [32, 32, 1] as unknown as [28, 28, 1] })).toThrow(ModelConfigError)
  })
})
