import { version_core } from '@tensorflow/tfjs-core'
import { version_layers, type LayersModel } from '@tensorflow/tfjs-layers'
import { MNIST_NORMALIZATION, type Normalization } from '@mnist/data/stats'
import type { ModelConfig } from './config'
import { countParams, getModelConfig } from './model'
import { VERSION } from './version'

/**
 * What a saved model says about itself. Stored in `model.json`'s `userDefinedMetadata` (stock tfjs ignores
 * it but returns it from `model.getUserDefinedMetadata()`) and as `metadata.json` beside it.
 */
export interface ModelMetadata {
  /** Dataset the weights were trained on, e.g. `'mnist'`. */
  dataset: string
  epochs: number
  /** Test accuracy as a fraction in [0, 1]. */
  testAccuracy?: number
  testLoss?: number
  /** Trainable parameters (recomputed from the model by `saveModel`). */
  params: number
  /** tfjs backend used for training, e.g. `'cpu'`, `'wasm'`, `'simd'`. */
  backend?: string
  /** Human-readable device / machine description. */
  device?: string
  seed?: number
  /** Seconds of training wall time. */
  trainSeconds?: number
  /** Optimizer, learning-rate schedule, batch size, augmentation, ... as the trainer reports them. */
  trainingConfig?: Record<string, unknown>
  /** Architecture the weights belong to (`createModel(metadata.modelConfig)` rebuilds it). */
  modelConfig: ModelConfig
  /** Normalisation applied to [0, 1] pixels before the model: `(x - mean) / std`. */
  normalization: Normalization
  /** Package versions, e.g. `{ '@mnist/model': '0.1.0', '@tensorflow/tfjs-core': '4.22.0' }`. */
  versions: Record<string, string>
  /** ISO 8601 timestamp. */
  createdAt: string
  /**
   * SHA-256 (64 lowercase hex digits) of the weight files concatenated in manifest order: for the usual single
   * `weights.bin`, what `sha256sum weights.bin` prints. Written by `saveModel` / `modelToArtifacts`, verified by
   * `loadModel`; models saved without it still load (unverified).
   */
  weightsSha256?: string
  /** Anything else worth keeping (JSON-serialisable). */
  extra?: Record<string, unknown>
}

export type MetadataInput = Omit<
  ModelMetadata,
  'params' | 'modelConfig' | 'normalization' | 'versions' | 'createdAt' | 'weightsSha256'
> &
  Partial<Pick<ModelMetadata, 'modelConfig' | 'normalization' | 'versions' | 'createdAt'>>

/**
 * Complete a metadata block from a model: `params` from the model, `modelConfig` from `createModel`
 * (required for other models), `normalization` = `MNIST_NORMALIZATION`, `versions` of this package and tfjs,
 * `createdAt` = now. Fields given in `fields` win (versions are merged).
 */
export function createMetadata(model: LayersModel, fields: MetadataInput): ModelMetadata {
  const modelConfig = fields.modelConfig ?? getModelConfig(model)
  if (modelConfig === undefined) {
    throw new TypeError(
      '[@mnist/model] createMetadata: the model was not built by createModel(); pass fields.modelConfig',
    )
  }
  return {
    ...fields,
    params: countParams(model),
    modelConfig,
    normalization: fields.normalization ?? { ...MNIST_NORMALIZATION },
    versions: {
      '@mnist/model': VERSION,
      '@tensorflow/tfjs-core': version_core,
      '@tensorflow/tfjs-layers': version_layers,
      ...fields.versions,
    },
    createdAt: fields.createdAt ?? new Date().toISOString(),
  }
}

/**
 * @internal Accept a userDefinedMetadata block as ours when it looks like one (a plain object with a `dataset`
 * string or a `params` number). Fields are not deep-validated; consumers check what they use.
 */
export function asModelMetadata(value: unknown): ModelMetadata | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined
  const v = value as Partial<ModelMetadata>
  if (typeof v.dataset !== 'string' && typeof v.params !== 'number') return undefined
  return value as ModelMetadata
}

/** @internal The metadata's normalisation when it is two finite numbers with std > 0. */
export function validNormalization(m: ModelMetadata | undefined): Normalization | undefined {
  const n = m?.normalization
  if (n && typeof n === 'object' && Number.isFinite(n.mean) && Number.isFinite(n.std) && n.std > 0)
    return { mean: n.mean, std: n.std }
  return undefined
}
