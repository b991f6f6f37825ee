import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'
import { createModel, DEFAULT_MODEL_CONFIG, getModelConfig, type ModelConfig } from '@mnist/model'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { AdamW } from './adamw'
import { selectBackend } from '@mnist/backends'
import { FusedTrainer } from '@mnist/backend-simd'
import { chooseStepEngine, type EngineChoice } from './choose-engine'
import { FusedStepEngine } from './fused-engine'

const SHAPE = { rows: 28, cols: 28, classes: 10 }

function choose(model: tfl.LayersModel, fusedStep?: boolean): EngineChoice {
  const optimizer = new AdamW(
    model.trainableWeights.map((w) => w.read() as tf.Variable),
    { learningRate: 1e-3 },
  )
  return chooseStepEngine({ model, optimizer, batchSize: 4, labelSmoothing: 0, shape: SHAPE, fusedStep })
}

const disposeAll: { dispose(): void }[] = []
afterEach(() => disposeAll.splice(0).forEach((d) => d.dispose()))

function modelOf(config: Partial<ModelConfig>): tfl.LayersModel {
  const model = createModel({ ...config, seed: 1 })
  disposeAll.push(model)
  return model
}

function use(choice: EngineChoice): EngineChoice {
  disposeAll.unshift(choice.engine)
  return choice
}

describe('chooseStepEngine', () => {
  it('takes the fused engine when the active backend runs it and the model is described by its config', async () => {
    await selectBackend('simd')
    const choice = use(choose(modelOf({})))
    expect(choice.engine).toBeInstanceOf(FusedStepEngine)
    expect(choice).toMatchObject({ engine: { name: 'fused', labelFormat: 'indices' }, reason: undefined })
  })

  it('takes the tfjs engine where the fused one cannot run, saying why only where it could have', async () => {
    await selectBackend('cpu')
    expect(use(choose(modelOf({})))).toMatchObject({
      engine: { name: 'tfjs', labelFormat: 'oneHot' },
      reason: undefined,
    })
    await selectBackend('simd')
    expect(use(choose(modelOf({}), false))).toMatchObject({ engine: { name: 'tfjs' }, reason: 'fusedStep: false' })
    // every layer a ModelConfig describes runs on the fused step (global average pooling included)
    const gap = modelOf({
      layers: [{ type: 'conv', filters: 4, kernelSize: 3, padding: 'same' }, { type: 'globalAvgPool' }],
    })
    expect(use(choose(gap))).toMatchObject({ engine: { name: 'fused' }, reason: undefined })
  })

  it('does not guess the network of a model @mnist/model did not build', async () => {
    await selectBackend('simd')
    const plain = tfl.sequential({
      layers: [tfl.layers.flatten({ inputShape: [28, 28, 1] }), tfl.layers.dense({ units: 10 })],
    })
    disposeAll.push(plain)
    expect(getModelConfig(plain)).toBeUndefined()
    expect(use(choose(plain))).toMatchObject({
      engine: { name: 'tfjs' },
      reason: expect.stringMatching(/no @mnist\/model config/),
    })
  })

  it('refuses weights that do not follow the spec (a model with frozen layers)', async () => {
    await selectBackend('simd')
    const model = modelOf(DEFAULT_MODEL_CONFIG)
    model.layers[0]!.trainable = false
    expect(use(choose(model)).reason).toMatch(/weights do not match its config/)
  })
})

describe('FusedStepEngine.create', () => {
  it('frees the fused trainer when building the engine throws', async () => {
    await selectBackend('simd')
    const setWeights = vi.spyOn(FusedTrainer.prototype, 'setWeights').mockImplementation(() => {
      throw new RangeError('no room for the weights')
    })
    const dispose = vi.spyOn(FusedTrainer.prototype, 'dispose')
    try {
      expect(() => choose(modelOf({}), true)).toThrow('no room for the weights')
      expect(setWeights).toHaveBeenCalledTimes(1)
      expect(dispose).toHaveBeenCalledTimes(1)
    } finally {
      vi.restoreAllMocks()
    }
  })
})
