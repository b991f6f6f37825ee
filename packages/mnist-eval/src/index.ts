// Public surface of @mnist/eval. Re-exports only: no logic, no side effects. Browsers get ./browser.ts.
export * from './shared-exports'
export { writeReport, renderMarkdownReport } from './report'
export { renderDigitGrid, renderConfusionMatrix, renderNoiseCurve } from './render'
export { decodePng, encodePng, DEFAULT_MAX_PIXELS } from './png'
export { ImageDecodeError, ImageTooLargeError, ReportWriteError } from './errors'

export type { ReportInput, ReportModelInfo, WriteReportResult } from './report'
export type { DigitCell, DigitGridOptions, ConfusionPlotOptions, NoiseCurveData, NoiseCurveOptions } from './render'
export type { DecodedImage, DecodePngOptions } from './png'
