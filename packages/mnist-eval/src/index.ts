// Public surface of @mnist/eval. Re-exports only: no logic, no side effects.
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
export { writeReport, renderMarkdownReport } from './report'
export { renderDigitGrid, renderConfusionMatrix, renderNoiseCurve } from './render'
export { decodePng, encodePng, DEFAULT_MAX_PIXELS } from './png'
export {
  MnistEvalError,
  DatasetShapeError,
  InvalidOptionError,
  ModelShapeError,
  ImageDecodeError,
  ImageTooLargeError,
  ReportWriteError,
} from './errors'

export type { LabeledImages, InferenceOptions, ModelOutputKind } from './inference-types'
export type { Normalization, Rng } from '@mnist/data/stats'
export type { EvalResult, EvaluateOptions } from './evaluate'
export type { NoiseOptions, NoiseResult } from './noise'
export type { ClassMetrics, MacroAverage } from './metrics'
export type { ReportInput, ReportModelInfo, WriteReportResult } from './report'
export type { DigitCell, DigitGridOptions, ConfusionPlotOptions, NoiseCurveData, NoiseCurveOptions } from './render'
export type { DecodedImage, DecodePngOptions } from './png'
export type { MnistEvalErrorCode } from './errors'
