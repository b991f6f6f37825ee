import { describe, expect, test } from 'vitest'
import { FusedNetworkError } from '../errors'
import { planNetwork } from './network'
import { fusedNetworkFromSpec, type FusedModelSpec } from './spec'

/** @mnist/model's default architecture, as its resolved config describes it. */
const DEFAULT_SPEC: FusedModelSpec = {
  inputShape: [28, 28, 1],
  classes: 10,
  batchNormEpsilon: 1e-5,
  batchNormMomentum: 0.9,
  layers: [
    { type: 'conv', filters: 8, kernelSize: 3, padding: 'same', batchNorm: true },
    { type: 'maxPool', poolSize: 2 },
    { type: 'conv', filters: 16, kernelSize: 3, padding: 'same', batchNorm: true },
    { type: 'maxPool', poolSize: 2 },
    { type: 'conv', filters: 24, kernelSize: 3, padding: 'same', batchNorm: true },
    { type: 'conv', filters: 24, kernelSize: 3, padding: 'same', batchNorm: true },
    { type: 'flatten' },
    { type: 'dropout', rate: 0.05 },
  ],
}

const spec = (layers: FusedModelSpec['layers']): FusedModelSpec => ({
  ...DEFAULT_SPEC,
  inputShape: [12, 12, 2],
  layers,
})

describe('fusedNetworkFromSpec', () => {
  test('the default architecture: conv -> batchNorm -> relu, pools, flatten, dropout, then the logits layer', () => {
    const bn = { type: 'batchNorm', epsilon: 1e-5, momentum: 0.9 } as const
    const conv = (filters: number) =>
      [
        { type: 'conv2d', filters, kernelSize: [3, 3], strides: [1, 1], padding: 'same', useBias: false },
        bn,
        { type: 'relu' },
      ] as const
    const pool = { type: 'maxPool', poolSize: [2, 2], strides: [2, 2] } as const
    expect(fusedNetworkFromSpec(DEFAULT_SPEC)).toEqual({
      inputShape: [28, 28, 1],
      layers: [
        ...conv(8),
        pool,
        ...conv(16),
        pool,
        ...conv(24),
        ...conv(24),
        { type: 'flatten' },
        { type: 'dropout', rate: 0.05 },
        { type: 'dense', units: 10, useBias: true },
      ],
    })
  })

  test('fills the defaults: bias without batch norm, relu, pool size 2, stride 1', () => {
    const network = fusedNetworkFromSpec(
      spec([
        { type: 'conv', filters: 4, kernelSize: 5, strides: 2, padding: 'valid' },
        {
          type: 'conv',
          filters: 3,
          kernelSize: 1,
          padding: 'same',
          activation: 'linear',
          useBias: true,
          batchNorm: true,
        },
        { type: 'maxPool' },
        { type: 'flatten' },
        { type: 'dense', units: 6, batchNorm: true },
        { type: 'dense', units: 5, activation: 'linear' },
      ]),
    )
    expect(network.layers).toEqual([
      { type: 'conv2d', filters: 4, kernelSize: [5, 5], strides: [2, 2], padding: 'valid', useBias: true },
      { type: 'relu' },
      { type: 'conv2d', filters: 3, kernelSize: [1, 1], strides: [1, 1], padding: 'same', useBias: true },
      { type: 'batchNorm', epsilon: 1e-5, momentum: 0.9 },
      { type: 'maxPool', poolSize: [2, 2], strides: [2, 2] },
      { type: 'flatten' },
      { type: 'dense', units: 6, useBias: false },
      { type: 'batchNorm', epsilon: 1e-5, momentum: 0.9 },
      { type: 'relu' },
      { type: 'dense', units: 5, useBias: true },
      { type: 'dense', units: 10, useBias: true },
    ])
    // and the fused trainer's plan takes it: weights in layer order (kernel, bias, gamma, beta), statistics apart
    const plan = planNetwork(network)
    expect(plan.params.map((p) => `${p.layer}:${p.name}`)).toEqual([
      '0:kernel',
      '0:bias',
      '2:kernel',
      '2:bias',
      '3:gamma',
      '3:beta',
      '6:kernel',
      '7:gamma',
      '7:beta',
      '9:kernel',
      '9:bias',
      '10:kernel',
      '10:bias',
    ])
    expect(plan.states.map((p) => `${p.layer}:${p.name}`)).toEqual([
      '3:movingMean',
      '3:movingVariance',
      '7:movingMean',
      '7:movingVariance',
    ])
  })

  test('global average pooling: its own layer, a flat [channels] output', () => {
    const gap = spec([{ type: 'conv', filters: 4, kernelSize: 3, padding: 'valid' }, { type: 'globalAvgPool' }])
    const network = fusedNetworkFromSpec(gap)
    expect(network.layers.map((l) => l.type)).toEqual(['conv2d', 'relu', 'globalAvgPool', 'dense'])
    const plan = planNetwork(network)
    expect(plan.stages.map((s) => [s.kind, s.inSize, s.outSize])).toEqual([
      ['linear', 288, 400],
      ['globalAvgPool', 400, 4],
      ['linear', 4, 10],
    ])
  })

  test('names the first layer kind or activation it does not run', () => {
    const up = spec([{ type: 'conv', filters: 4, kernelSize: 3, padding: 'same' }, { type: 'upSampling' }])
    expect(() => fusedNetworkFromSpec(up)).toThrow(FusedNetworkError)
    expect(() => fusedNetworkFromSpec(up)).toThrow(
      'layers[1]: layer type "upSampling" is not supported by the fused step',
    )
    const tanh = spec([{ type: 'flatten' }, { type: 'dense', units: 4, activation: 'tanh' as 'relu' }])
    expect(() => fusedNetworkFromSpec(tanh)).toThrow('layers[1].activation: "tanh" is not supported (relu or linear)')
  })
})
