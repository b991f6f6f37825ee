import * as tf from '@tensorflow/tfjs-layers'
import {
  PARAM_BUDGET,
  planLayers,
  resolveConfig,
  type ConvLayerSpec,
  type DenseLayerSpec,
  type ModelConfig,
  type PlannedLayer,
  type ResolvedModelConfig,
} from './config'
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

// tfjs-layers does not export its Layer class by name
type Layer = Parameters<tf.Sequential['add']>[0]

/** What building carries from one planned layer to the next. */
interface BuildState {
  config: ResolvedModelConfig
  seed: number | undefined
  /** Conv and dense layers built so far: the index that seeds the next one's initializers. */
  weighted: number
  /** Only the first layer gets `inputShape`. */
  first: boolean
  /** Channels of the running spatial shape: a conv's fan-in. */
  channels: number
  /** Units of the last flat output: a dense layer's fan-in. */
  flatUnits: number
}

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

  const st: BuildState = { config, seed, weighted: 0, first: true, channels: config.inputShape[2], flatUnits: 0 }
  const model = tf.sequential({ name: 'mnist_cnn' })
  try {
    for (const layer of plan) {
      model.add(buildLayer(st, layer))
      if (layer.outputShape.length === 1) st.flatUnits = layer.outputShape[0]!
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

/** The tfjs layer of one planned row. */
function buildLayer(st: BuildState, layer: PlannedLayer): Layer {
  const { config } = st
  const spec = layer.spec >= 0 ? config.layers[layer.spec]! : undefined
  switch (layer.type) {
    case 'Conv2D':
      if (spec?.type !== 'conv') throw new ModelConfigError(`layers[${layer.spec}]`, 'expected a conv layer spec')
      return buildConv(st, layer, spec)
    case 'Dense':
      return buildDense(st, layer, spec?.type === 'dense' ? spec : undefined)
    case 'BatchNormalization':
      return tf.layers.batchNormalization({
        ...inputShape(st),
        name: layer.name,
        axis: -1,
        epsilon: config.batchNormEpsilon,
        momentum: config.batchNormMomentum,
      })
    case 'Activation':
      return tf.layers.activation({ ...inputShape(st), name: layer.name, activation: 'relu' })
    case 'MaxPooling2D': {
      const p = spec?.type === 'maxPool' ? (spec.poolSize ?? 2) : 2
      return tf.layers.maxPooling2d({ ...inputShape(st), name: layer.name, poolSize: p, strides: p, padding: 'valid' })
    }
    case 'GlobalAveragePooling2D':
      return tf.layers.globalAveragePooling2d({ ...inputShape(st), name: layer.name })
    case 'Flatten':
      return tf.layers.flatten({ ...inputShape(st), name: layer.name })
    case 'Dropout':
      return tf.layers.dropout({ ...inputShape(st), name: layer.name, rate: spec?.type === 'dropout' ? spec.rate : 0 })
    default:
      throw new ModelConfigError(`layers[${layer.spec}]`, `unplanned layer type ${layer.type}`)
  }
}

function buildConv(st: BuildState, layer: PlannedLayer, spec: ConvLayerSpec): Layer {
  const s = nextSeeds(st)
  const bias = spec.useBias ?? !(spec.batchNorm ?? false)
  const fanIn = spec.kernelSize * spec.kernelSize * st.channels
  const conv = tf.layers.conv2d({
    ...inputShape(st),
    name: layer.name,
    filters: spec.filters,
    kernelSize: spec.kernelSize,
    strides: spec.strides ?? 1,
    padding: spec.padding,
    useBias: bias,
    activation: 'linear',
    kernelInitializer: kernelInit(s.kernel),
    ...(bias ? { biasInitializer: biasInit(fanIn, s.bias) } : {}),
  })
  st.channels = spec.filters
  return conv
}

/** A hidden dense layer (`spec`) or, without a spec, the final logits layer (with bias). */
function buildDense(st: BuildState, layer: PlannedLayer, spec: DenseLayerSpec | undefined): Layer {
  const s = nextSeeds(st)
  const fanIn = st.flatUnits
  const units = spec ? spec.units : st.config.classes
  const bias = spec ? (spec.useBias ?? !(spec.batchNorm ?? false)) : true
  return tf.layers.dense({
    ...inputShape(st),
    name: layer.name,
    units,
    useBias: bias,
    activation: 'linear',
    kernelInitializer: kernelInit(s.kernel),
    ...(bias ? { biasInitializer: biasInit(fanIn, s.bias) } : {}),
  })
}

/** Initializer seeds of the next weighted layer; none without a seed. */
function nextSeeds(st: BuildState): { kernel?: number; bias?: number } {
  const i = st.weighted++
  const { seed } = st
  return seed === undefined ? {} : { kernel: seed * 1000 + 2 * i, bias: seed * 1000 + 2 * i + 1 }
}

/** `inputShape` for the first layer of the model, nothing for the others. */
function inputShape(st: BuildState): { inputShape?: number[] } {
  if (!st.first) return {}
  st.first = false
  return { inputShape: [...st.config.inputShape] }
}

const kernelInit = (s: number | undefined) =>
  tf.initializers.varianceScaling({ scale: 1 / 3, mode: 'fanIn', distribution: 'uniform', seed: s })
const biasInit = (fanIn: number, s: number | undefined) =>
  tf.initializers.randomUniform({ minval: -1 / Math.sqrt(fanIn), maxval: 1 / Math.sqrt(fanIn), seed: s })

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
