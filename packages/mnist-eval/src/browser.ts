// Public surface of @mnist/eval for browsers (the "browser" export condition): everything of ./index.ts except the
// report, PNG and picture writers, which need Node (the file system, zlib streams, a bundled font). Re-exports only.
export { evaluate } from './evaluate'
export {
  noiseRobustness,
  DEFAULT_NOISE_SIGMAS,
  DEFAULT_SALT_PEPPER_RATES,
  DEFAULT_NOISE_SEED,
  LOGIT_DELTA_SIGMA,
} from './noise'
export { confusionMatrix, perClassMetrics, accuracyFromConfusion, macroAverage } from './metrics'
export { createRng } from '@mnist/data/stats'
export { MnistEvalError, DatasetShapeError, InvalidOptionError, ModelShapeError } from './errors'

export type { LabeledImages, InferenceOptions, ModelOutputKind } from './inference-types'
export type { Normalization, Rng } from '@mnist/data/stats'
export type { EvalResult, EvaluateOptions } from './evaluate'
export type { NoiseOptions, NoiseResult } from './noise'
export type { ClassMetrics, MacroAverage } from './metrics'
export type { MnistEvalErrorCode } from './errors'
