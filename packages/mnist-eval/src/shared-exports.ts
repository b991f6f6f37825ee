// What both entries (index.ts for Node, browser.ts for browsers) export alike. Re-exports only.
export { evaluate } from './evaluate'
export {
  noiseRobustness,
  DEFAULT_NOISE_SIGMAS,
  DEFAULT_SALT_PEPPER_RATES,
  DEFAULT_NOISE_SEED,
  LOGIT_DELTA_SIGMA,
} from './noise'
export { confusionMatrix, perClassMetrics, accuracyFromConfusion, macroAverage } from './metrics'
// Owned by @mnist/data (one seeded RNG and one set of statistics for every package); re-exported for compatibility.
export { createRng } from '@mnist/data/stats'
export { MnistEvalError, DatasetShapeError, InvalidOptionError, ModelShapeError } from './errors'

export type { LabeledImages, InferenceOptions, ModelOutputKind } from './inference-types'
export type { Normalization, Rng } from '@mnist/data/stats'
export type { EvalResult, EvaluateOptions } from './evaluate'
export type { NoiseOptions, NoiseResult } from './noise'
export type { ClassMetrics, MacroAverage } from './metrics'
export type { MnistEvalErrorCode } from './errors'
