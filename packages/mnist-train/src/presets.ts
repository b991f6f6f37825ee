import type { LayerSpec } from '@mnist/model'
import type { TrainConfigInput } from './config'
import { InvalidTrainConfigError } from './errors'

const conv = (filters: number, kernelSize: number, padding: 'same' | 'valid' = 'same'): LayerSpec =>
  Object.freeze({ type: 'conv', filters, kernelSize, padding, batchNorm: true })
const pool: LayerSpec = Object.freeze({ type: 'maxPool', poolSize: 2 })

/**
 * Model C of docs/pytorch-reference.md (examples/architectures/model-c.json): 3x3 and 1x1 convolutions, each with
 * batch norm and ReLU, two poolings, a 'valid' convolution and global average pooling; 22,098 parameters.
 */
// frozen; typed mutable because ModelConfig's `layers` is (every reader copies it)
const MODEL_C_LAYERS = Object.freeze([
  conv(8, 3),
  conv(16, 3),
  pool,
  conv(8, 1),
  conv(16, 3),
  conv(32, 3),
  pool,
  conv(16, 1),
  conv(32, 3),
  conv(32, 3, 'valid'),
  Object.freeze({ type: 'globalAvgPool' }),
] satisfies LayerSpec[]) as LayerSpec[]

/** The names of `TRAIN_PRESETS`. */
export type TrainPresetName = 'default' | 'best'

/** A named recipe: settings applied before the caller's own `config` (which wins field by field). */
export interface TrainPreset {
  /** One line: what the preset is for. */
  description: string
  /** The settings it changes from `DEFAULT_TRAIN_CONFIG` (`model` replaces the default architecture's fields). */
  config: Readonly<TrainConfigInput>
}

/**
 * Named recipes. `default` is `DEFAULT_TRAIN_CONFIG` itself (one epoch, about 99.2 %). `best` is the multi-epoch recipe
 * that scored best on a 50,000 / 10,000 split of the training set (the test set was not used to choose; the
 * candidates and their validation scores are in docs/training-recipe).
 */
export const TRAIN_PRESETS: Readonly<Record<TrainPresetName, Readonly<TrainPreset>>> = Object.freeze({
  default: Object.freeze({ description: 'one epoch, no augmentation (the defaults)', config: Object.freeze({}) }),
  best: Object.freeze({
    description:
      'model C (22,098 parameters), 30 epochs, random-affine augmentation and pixel noise on half the images ' +
      '(the best on a validation split)',
    config: Object.freeze({
      epochs: 30,
      augment: true,
      augmentation: Object.freeze({ noise: 0.5 }),
      model: Object.freeze({ layers: MODEL_C_LAYERS }),
    }),
  }),
})

/**
 * The config a run gets from a preset and the caller's own settings: the preset's fields, then the caller's
 * (`augmentation` and `model` merged field by field). Throws `InvalidTrainConfigError` for an unknown preset.
 */
export function presetConfig(name: string | undefined, config: TrainConfigInput = {}): TrainConfigInput {
  if (name === undefined) return config
  if (!Object.hasOwn(TRAIN_PRESETS, name)) {
    throw new InvalidTrainConfigError('preset', `one of ${Object.keys(TRAIN_PRESETS).join(', ')}`, name)
  }
  const preset = TRAIN_PRESETS[name as TrainPresetName].config
  return {
    ...preset,
    ...config,
    ...(preset.augmentation || config.augmentation
      ? { augmentation: { ...preset.augmentation, ...config.augmentation } }
      : {}),
    ...(preset.model || config.model ? { model: { ...preset.model, ...config.model } } : {}),
  }
}
