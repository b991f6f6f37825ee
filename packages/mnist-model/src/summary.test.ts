import { describe, expect, it } from 'vitest'
import { planLayers, resolveConfig } from './config'
import { createModel } from './model'
import { formatSummary, summary } from './summary'

describe('summary', () => {
  const model = createModel({ seed: 1 })
  const s = summary(model)

  it('lists every layer with its output shape and trainable params, like torchsummary', () => {
    expect(s.layers[0]).toEqual({
      name: 'conv1',
      type: 'Conv2D',
      outputShape: [-1, 28, 28, 8],
      params: 72,
      nonTrainableParams: 0,
    })
    expect(s.layers[1]).toEqual({
      name: 'conv1_bn',
      type: 'BatchNormalization',
      outputShape: [-1, 28, 28, 8],
      params: 16,
      nonTrainableParams: 16,
    })
    expect(s.layers.at(-1)).toEqual({
      name: 'logits',
      type: 'Dense',
      outputShape: [-1, 10],
      params: 11_770,
      nonTrainableParams: 0,
    })
    expect(s).toMatchObject({ trainable: 21_778, nonTrainable: 144, total: 21_922, budget: 25_000 })
  })

  it('agrees with the tensor-free plan of the config', () => {
    const plan = planLayers(resolveConfig())
    expect(s.layers.map((l) => [l.name, l.type, l.outputShape.slice(1), l.params, l.nonTrainableParams])).toEqual(
      plan.map((l) => [l.name, l.type, l.outputShape, l.trainableParams, l.nonTrainableParams]),
    )
  })

  it('formats a table with totals and the budget', () => {
    const text = formatSummary(s)
    const lines = text.split('\n')
    expect(lines[1]).toMatch(/Layer \(type\)\s+Output Shape\s+Param #/)
    expect(text).toMatch(/conv1 \(Conv2D\)\s+\[-1, 28, 28, 8\]\s+72\n/)
    expect(text).toMatch(/conv4 \(Conv2D\)\s+\[-1, 7, 7, 24\]\s+5,184\n/)
    expect(text).toContain('Total params: 21,922')
    expect(text).toContain('Trainable params: 21,778')
    expect(text).toContain('Non-trainable params: 144')
    expect(text).toContain('Budget: 21,778 / 25,000 trainable (87.1 %, 3,222 left)')
    expect(lines).toHaveLength(s.layers.length + 9)
  })
})
