import { checkModelConfig, DEFAULT_MODEL_CONFIG, type ModelConfig } from '@mnist/model'
import { checkStepMemory } from './step-memory'
import { DEFAULT_AUGMENTATION, validateAugmentation, type AugmentationRanges } from './augment'
import { InvalidTrainConfigError } from './errors'
import type { OneCycleOptions } from './schedule'

/**
 * Everything that decides what a run computes. Stored in every checkpoint; resume reuses it. The one-cycle schedule's
 * settings come from `OneCycleOptions` (`maxLr` is the peak learning rate); its step count follows from the data and `epochs`.
 */
export interface TrainConfig extends Omit<OneCycleOptions, 'totalSteps'> {
  epochs: number
  batchSize: number
  /** Seeds the initial weights, the shuffle, the augmentation and tfjs's random ops (dropout). */
  seed: number
  /** Adam's beta1 when `cycleMomentum` is off. */
  beta1: number
  beta2: number
  epsilon: number
  /** AdamW's decoupled weight decay (applied to every trainable variable, as PyTorch's AdamW does by default). */
  weightDecay: number
  /** Label smoothing of the cross-entropy, in [0, 1). */
  labelSmoothing: number
  /** Random affine augmentation of the training images. */
  augment: boolean
  augmentation: AugmentationRanges
  /** Images per forward pass when evaluating on the test set (does not change results). */
  evalBatchSize: number
  /**
   * Architecture (see @mnist/model), with its defaults filled in (`resolveConfig`); the default is @mnist/model's
   * `DEFAULT_MODEL_CONFIG`. Stored in every checkpoint: a resumed run trains the same network.
   */
  model: ModelConfig
}

/**
 * The defaults: the model C recipe of docs/pytorch-reference.md (AdamW with weight decay 0.01, one-cycle to lr 0.02 with 20 % warm-up,
 * cosine annealing and beta1 cycling 0.95 -> 0.85 -> 0.95, no augmentation) with batch 32 and label smoothing 0.05,
 * which won on a 50k/10k split of the training set both in this package's own runs (label smoothing: 99.10 % vs
 * 98.89 % validation accuracy, 3 seeds) and in the PyTorch architecture search (batch 32 + label smoothing: +0.15 to
 * 0.2 points); the test set was not used to choose. The only place the defaults live; the CLI reads them from here.
 */
export const DEFAULT_TRAIN_CONFIG: Readonly<TrainConfig> = Object.freeze({
  epochs: 1,
  batchSize: 32,
  seed: 1,
  maxLr: 0.02,
  pctStart: 0.2,
  divFactor: 25,
  finalDivFactor: 1e4,
  annealStrategy: 'cos',
  cycleMomentum: true,
  baseMomentum: 0.85,
  maxMomentum: 0.95,
  beta1: 0.9,
  beta2: 0.999,
  epsilon: 1e-8,
  weightDecay: 0.01,
  labelSmoothing: 0.05,
  augment: false,
  augmentation: DEFAULT_AUGMENTATION,
  evalBatchSize: 1000,
  model: DEFAULT_MODEL_CONFIG as ModelConfig,
} satisfies TrainConfig)

/** Options as a caller may give them: any field, `augmentation` and `model` partially. */
export type TrainConfigInput = Partial<Omit<TrainConfig, 'augmentation' | 'model'>> & {
  augmentation?: Partial<AugmentationRanges>
  model?: Partial<ModelConfig>
}

/**
 * Fill in the defaults and check every field; throws `InvalidTrainConfigError` naming the first bad one, and for the
 * architecture @mnist/model's `ModelConfigError` (naming the layer) or `ParamBudgetError` (25,000 parameters or more).
 */
export function resolveTrainConfig(input: TrainConfigInput = {}): TrainConfig {
  const d = DEFAULT_TRAIN_CONFIG
  const config: TrainConfig = {
    ...d,
    ...stripUndefined(input),
    augmentation: { ...d.augmentation, ...stripUndefined(input.augmentation ?? {}) },
    model: { ...(d.model as ModelConfig), ...stripUndefined(input.model ?? {}) } as ModelConfig,
  }
  // Checked here, before a run folder exists, with the errors createModel would throw later.
  config.model = checkModelConfig(config.model).config
  int('epochs', config.epochs, 1, 10_000)
  int('batchSize', config.batchSize, 1, 65_536)
  int('seed', config.seed, 0, 4_294_967_295)
  num('maxLr', config.maxLr, 0, 1e38, { minExclusive: true })
  num('pctStart', config.pctStart, 0, 1, { minExclusive: true, maxExclusive: true })
  num('divFactor', config.divFactor, 0, 1e38, { minExclusive: true })
  num('finalDivFactor', config.finalDivFactor, 0, 1e38, { minExclusive: true })
  if (config.annealStrategy !== 'cos' && config.annealStrategy !== 'linear') {
    throw new InvalidTrainConfigError('annealStrategy', `'cos' or 'linear'`, config.annealStrategy)
  }
  if (typeof config.cycleMomentum !== 'boolean') {
    throw new InvalidTrainConfigError('cycleMomentum', 'true or false', config.cycleMomentum)
  }
  num('baseMomentum', config.baseMomentum, 0, 1, { maxExclusive: true })
  num('maxMomentum', config.maxMomentum, config.baseMomentum, 1, { maxExclusive: true })
  num('beta1', config.beta1, 0, 1, { maxExclusive: true })
  num('beta2', config.beta2, 0, 1, { maxExclusive: true })
  num('epsilon', config.epsilon, 0, 1, { minExclusive: true })
  num('weightDecay', config.weightDecay, 0, 1e6)
  num('labelSmoothing', config.labelSmoothing, 0, 1, { maxExclusive: true })
  if (typeof config.augment !== 'boolean') throw new InvalidTrainConfigError('augment', 'true or false', config.augment)
  validateAugmentation(config.augmentation)
  int('evalBatchSize', config.evalBatchSize, 1, 65_536)
  checkStepMemory(config)
  return config
}

function stripUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>
}

function int(option: string, value: unknown, min: number, max: number): void {
  if (!(typeof value === 'number' && Number.isSafeInteger(value) && value >= min && value <= max)) {
    throw new InvalidTrainConfigError(option, `an integer in [${min}, ${max}]`, value)
  }
}

function num(
  option: string,
  value: unknown,
  min: number,
  max: number,
  { minExclusive = false, maxExclusive = false }: { minExclusive?: boolean; maxExclusive?: boolean } = {},
): void {
  const ok =
    typeof value === 'number' &&
    Number.isFinite(value) &&
    (minExclusive ? value > min : value >= min) &&
    (maxExclusive ? value < max : value <= max)
  if (!ok) {
    throw new InvalidTrainConfigError(
      option,
      `a number in ${minExclusive ? '(' : '['}${min}, ${max}${maxExclusive ? ')' : ']'}`,
      value,
    )
  }
}
