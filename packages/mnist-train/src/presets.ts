import type { TrainConfigInput } from './config'
import { InvalidTrainConfigError } from './errors'

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
    description: '20 epochs with random-affine augmentation (the best on a validation split)',
    config: Object.freeze({ epochs: 20, augment: true }),
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
