import {
  planLayers,
  PARAM_BUDGET,
  resolveConfig,
  type LayerSpec,
  type ModelConfig,
  type ResolvedModelConfig,
} from './config'
import { ModelConfigError } from './errors'
import { assertParamBudget } from './model'

/** What `checkModelConfig` returns: the config with its defaults filled in, and its trainable-parameter count. */
export interface CheckedModelConfig {
  config: ResolvedModelConfig
  params: number
}

/**
 * Validate an architecture without building it: fill the defaults (`resolveConfig`), plan every layer and count the
 * trainable parameters. Throws `ModelConfigError` naming the offending path, or `ParamBudgetError` when the network
 * would not stay strictly under `budget` (default `PARAM_BUDGET`): the errors `createModel` throws, before any tensor.
 */
export function checkModelConfig(config: Partial<ModelConfig>, budget: number = PARAM_BUDGET): CheckedModelConfig {
  const resolved = resolveConfig(config)
  const params = planLayers(resolved).reduce((sum, layer) => sum + layer.trainableParams, 0)
  assertParamBudget(params, budget)
  return { config: resolved, params }
}

/**
 * The config with every default written out, per layer too (strides, bias, batch norm, activation, pool size), and
 * the keys in one order: two configs describe the same network exactly when their canonical forms are deep-equal.
 * Throws `ModelConfigError` for an invalid config (the parameter budget is not checked here).
 */
export function canonicalModelConfig(config: Partial<ModelConfig>): ResolvedModelConfig {
  const r = resolveConfig(config)
  return {
    inputShape: r.inputShape,
    classes: r.classes,
    batchNormEpsilon: r.batchNormEpsilon,
    batchNormMomentum: r.batchNormMomentum,
    layers: r.layers.map(canonicalLayer),
  }
}

function canonicalLayer(spec: LayerSpec): LayerSpec {
  switch (spec.type) {
    case 'conv': {
      const batchNorm = spec.batchNorm ?? false
      return {
        type: 'conv',
        filters: spec.filters,
        kernelSize: spec.kernelSize,
        strides: spec.strides ?? 1,
        padding: spec.padding,
        useBias: spec.useBias ?? !batchNorm,
        batchNorm,
        activation: spec.activation ?? 'relu',
      }
    }
    case 'dense': {
      const batchNorm = spec.batchNorm ?? false
      return {
        type: 'dense',
        units: spec.units,
        activation: spec.activation ?? 'relu',
        batchNorm,
        useBias: spec.useBias ?? !batchNorm,
      }
    }
    case 'maxPool':
      return { type: 'maxPool', poolSize: spec.poolSize ?? 2 }
    case 'dropout':
      return { type: 'dropout', rate: spec.rate }
    default:
      return { type: spec.type }
  }
}

/** Whether two configs describe the same network (same canonical form; see `canonicalModelConfig`). */
export function sameModelConfig(a: Partial<ModelConfig>, b: Partial<ModelConfig>): boolean {
  return JSON.stringify(canonicalModelConfig(a)) === JSON.stringify(canonicalModelConfig(b))
}

/**
 * A one-line description of an architecture, for messages and logs, e.g.
 * `conv8 3x3 bn relu · maxPool2 · conv16 3x3 bn relu · maxPool2 · flatten · dense10` (the logits layer last).
 * Padding, strides and bias are shown where they differ from the defaults ('same', 1, bias only without batch norm).
 */
export function describeModelConfig(config: Partial<ModelConfig>): string {
  const c = canonicalModelConfig(config)
  const parts = c.layers.map((l): string => {
    switch (l.type) {
      case 'conv': {
        const k = `${l.kernelSize}x${l.kernelSize}${l.padding === 'valid' ? ' valid' : ''}`
        const s = l.strides !== 1 ? `/${l.strides}` : ''
        return [`conv${l.filters} ${k}${s}`, biasNote(l), l.batchNorm ? 'bn' : '', actName(l.activation)]
          .filter((x) => x !== '')
          .join(' ')
      }
      case 'dense':
        return [`dense${l.units}`, biasNote(l), l.batchNorm ? 'bn' : '', actName(l.activation)]
          .filter((x) => x !== '')
          .join(' ')
      case 'maxPool':
        return `maxPool${l.poolSize}`
      case 'dropout':
        return `dropout ${l.rate}`
      default:
        return l.type
    }
  })
  return [...parts, `dense${c.classes}`].join(' · ')
}

/** Only a bias that differs from the default (none with batch norm, one without) is worth a word. */
const biasNote = (l: { useBias?: boolean; batchNorm?: boolean }): string =>
  l.useBias === !l.batchNorm ? '' : l.useBias ? 'bias' : 'nobias'

const actName = (a: string | undefined): string => (a === 'linear' ? '' : (a ?? 'relu'))

const TOP_KEYS = ['layers', 'inputShape', 'classes', 'batchNormEpsilon', 'batchNormMomentum']
const LAYER_KEYS: Readonly<Record<LayerSpec['type'], readonly string[]>> = {
  conv: ['type', 'filters', 'kernelSize', 'strides', 'padding', 'useBias', 'batchNorm', 'activation'],
  maxPool: ['type', 'poolSize'],
  globalAvgPool: ['type'],
  flatten: ['type'],
  dense: ['type', 'units', 'activation', 'batchNorm', 'useBias'],
  dropout: ['type', 'rate'],
}

/**
 * A `ModelConfig` from untrusted JSON (a file a user wrote): an object with a `layers` array and no field this
 * package does not know (a misspelt field would otherwise be ignored and its default trained), every value valid.
 * Throws `ModelConfigError` naming the path and what was expected. The parameter budget is `checkModelConfig`'s job.
 */
export function parseModelConfig(value: unknown): ModelConfig {
  if (!isPlainObject(value))
    throw new ModelConfigError('(root)', `expected an object with "layers", found ${kind(value)}`)
  rejectUnknown(value, TOP_KEYS, '')
  if (!Array.isArray(value.layers)) {
    throw new ModelConfigError('layers', `expected an array of layer specs, found ${kind(value.layers)}`)
  }
  value.layers.forEach((layer: unknown, i) => {
    if (!isPlainObject(layer))
      throw new ModelConfigError(`layers[${i}]`, `expected a layer spec object, found ${kind(layer)}`)
    const keys = LAYER_KEYS[layer.type as LayerSpec['type']]
    // An unknown type is reported by resolveConfig, with the list of types.
    if (keys !== undefined) rejectUnknown(layer, keys, `layers[${i}].`)
  })
  const config = value as unknown as ModelConfig
  resolveConfig(config)
  return config
}

function rejectUnknown(o: Record<string, unknown>, known: readonly string[], prefix: string): void {
  for (const key of Object.keys(o)) {
    if (!known.includes(key)) {
      throw new ModelConfigError(`${prefix}${key}`, `unknown field (expected one of ${known.join(', ')})`)
    }
  }
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v)
}

function kind(v: unknown): string {
  if (Array.isArray(v)) return 'an array'
  if (v === null) return 'null'
  return typeof v === 'object' ? 'an object' : `${typeof v} ${JSON.stringify(v)}`
}
