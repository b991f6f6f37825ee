import * as tf from '@tensorflow/tfjs-layers'
import { PARAM_BUDGET, planLayers, resolveConfig, type ModelConfig, type ResolvedModelConfig } from './config'
import { ModelConfigError, ParamBudgetError } from './errors'

export interface CreateModelOptions extends Partial<ModelConfig> {
  /**
   * Seeds every initializer (kernel of layer i: `seed * 1000 + 2i`, bias: `+1`), so the same seed gives
   * bit-identical initial weights. Omitted: unseeded random initial weights.
   */
  seed?: number
  /** Strict upper bound on trainable parameters; default `PARAM_BUDGET`. Raise it only for experiments. */
  budget?: number
}

const configs = new WeakMap<tf.LayersModel, ResolvedModelConfig>()

/**
 * Build the CNN described by `config` (defaults: `DEFAULT_MODEL_CONFIG`) as a `tf.Sequential`.
 * The output is logits (no softmax). Initialisation matches PyTorch's defaults: kernels
 * `kaiming_uniform(a = sqrt(5))` = varianceScaling(1/3, fanIn, uniform), biases U(+-1/sqrt(fan_in)),
 * BatchNorm gamma 1 / beta 0. Throws `ModelConfigError` for an invalid config and `ParamBudgetError`
 * (before allocating any weight) when the model would not stay strictly under the budget.
 */
export function createModel(options: CreateModelOptions = {}): tf.Sequential {
  const { seed, budget = PARAM_BUDGET, ...partial } = options
  if (seed !== undefined && !(Number.isSafeInteger(seed) && seed >= 0)) {
    throw new ModelConfigError('seed', `expected a non-negative integer, found ${seed}`)
  }
  const config = resolveConfig(partial)
  const plan = planLayers(config)
  assertParamBudget(
    plan.reduce((s, l) => s + l.trainableParams, 0),
    budget,
  )

  let weighted = 0
  const seeds = (): { kernel?: number; bias?: number } => {
    const i = weighted++
    return seed === undefined ? {} : { kernel: seed * 1000 + 2 * i, bias: seed * 1000 + 2 * i + 1 }
  }
  const kernelInit = (s: number | undefined) =>
    tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', seed: s })
  const biasInit = (fanIn: number, s: number | undefined) =>
    tf.initializers.randomUniform({ minval: -1 / Math.sqrt(fanIn), maxval: 1 / Math.sqrt(fanIn), seed: s })

  const model = tf.sequential({ name: 'mnist_cnn' })
  try {
    let first = true
    const input = (): { inputShape?: number[] } => {
      if (!first) return {}
      first = false
      return { inputShape: [...config.inputShape] }
    }
    let channels: number = config.inputShape[2]
    let flatUnits = 0
    for (const layer of plan) {
      const spec = layer.spec >= 0 ? config.layers[layer.spec]! : undefined
      switch (layer.type) {
        case 'Conv2D': {
          if (spec?.type !== 'conv') throw new ModelConfigError(`layers[${layer.spec}]`, 'expected a conv layer spec')
          const s = seeds()
          const bias = spec.useBias ?? !(spec.batchNorm ?? false)
          const fanIn = spec.kernelSize * spec.kernelSize * channels
          model.add(
            tf.layers.conv2d({
              ...input(),
              name: layer.name,
              filters: spec.filters,
              kernelSize: spec.kernelSize,
              strides: spec.strides ?? 1,
              padding: spec.padding,
              useBias: bias,
              activation: 'linear',
              kernelInitializer: kernelInit(s.kernel),
              ...(bias ? { biasInitializer: biasInit(fanIn, s.bias) } : {}),
            }),
          )
          channels = spec.filters
          break
        }
        case 'Dense': {
          const s = seeds()
          const fanIn = flatUnits
          const units = spec?.type === 'dense' ? spec.units : config.classes
          const bias = spec?.type === 'dense' ? (spec.useBias ?? !(spec.batchNorm ?? false)) : true
          model.add(
            tf.layers.dense({
              ...input(),
              name: layer.name,
              units,
              useBias: bias,
              activation: 'linear',
              kernelInitializer: kernelInit(s.kernel),
              ...(bias ? { biasInitializer: biasInit(fanIn, s.bias) } : {}),
            }),
          )
          break
        }
        case 'BatchNormalization':
          model.add(
            tf.layers.batchNormalization({
              ...input(),
              name: layer.name,
              axis: -1,
              epsilon: config.batchNormEpsilon,
              momentum: config.batchNormMomentum,
            }),
          )
          break
        case 'Activation':
          model.add(tf.layers.activation({ ...input(), name: layer.name, activation: 'relu' }))
          break
        case 'MaxPooling2D': {
          const p = spec?.type === 'maxPool' ? (spec.poolSize ?? 2) : 2
          model.add(tf.layers.maxPooling2d({ ...input(), name: layer.name, poolSize: p, strides: p, padding: 'valid' }))
          break
        }
        case 'GlobalAveragePooling2D':
          model.add(tf.layers.globalAveragePooling2d({ ...input(), name: layer.name }))
          break
        case 'Flatten':
          model.add(tf.layers.flatten({ ...input(), name: layer.name }))
          break
        case 'Dropout':
          model.add(tf.layers.dropout({ ...input(), name: layer.name, rate: spec?.type === 'dropout' ? spec.rate : 0 }))
          break
        default:
          throw new ModelConfigError(`layers[${layer.spec}]`, `unplanned layer type ${layer.type}`)
      }
      if (layer.outputShape.length === 1) flatUnits = layer.outputShape[0]!
    }
    // The plan and tfjs must agree; a mismatch is a bug here, not the caller's.
    const params = countParams(model)
    assertParamBudget(params, budget)
  } catch (err) {
    model.dispose()
    throw err
  }
  configs.set(model, config)
  return model
}

/** The resolved config a model was built from by `createModel`, or `undefined` for other models. */
export function getModelConfig(model: tf.LayersModel): ResolvedModelConfig | undefined {
  return configs.get(model)
}

/** @internal Remember the config of a loaded model (from its metadata). */
export function rememberModelConfig(model: tf.LayersModel, config: ResolvedModelConfig): void {
  configs.set(model, config)
}

/** Number of trainable parameters (what PyTorch calls parameters; BatchNorm moving statistics excluded). */
export function countParams(model: tf.LayersModel): number {
  let n = 0
  for (const w of model.trainableWeights) n += w.shape.reduce((a: number, b) => a * (b ?? 1), 1)
  return n
}

/**
 * Throw `ParamBudgetError` unless the model (or a parameter count) stays strictly under `budget`
 * (default `PARAM_BUDGET`). Returns the count.
 */
export function assertParamBudget(countOrModel: number | tf.LayersModel, budget: number = PARAM_BUDGET): number {
  const n = typeof countOrModel === 'number' ? countOrModel : countParams(countOrModel)
  if (!(n < budget)) throw new ParamBudgetError(n, budget)
  return n
}
