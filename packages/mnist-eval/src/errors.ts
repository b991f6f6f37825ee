export type MnistEvalErrorCode =
  | 'EVAL_DATASET_SHAPE'
  | 'EVAL_INVALID_OPTION'
  | 'EVAL_MODEL_SHAPE'
  | 'EVAL_IMAGE_DECODE'
  | 'EVAL_REPORT_WRITE'
  | 'EVAL_IMAGE_TOO_LARGE'

/** Catch this one class to handle every failure @mnist/eval throws. Branch on `code`, not on message text. */
export class MnistEvalError extends Error {
  override name = 'MnistEvalError'
  readonly code: MnistEvalErrorCode
  constructor(code: MnistEvalErrorCode, message: string, options?: { cause?: unknown }) {
    super(`[@mnist/eval] ${message}`, options)
    this.code = code
  }
}

/** The images/labels handed to `evaluate`, `noiseRobustness` or a metric function do not fit together or the model. */
export class DatasetShapeError extends MnistEvalError {
  override name = 'DatasetShapeError'
  constructor(message: string) {
    super('EVAL_DATASET_SHAPE', message)
  }
}

/** An option has a value outside what it accepts (`option` names it). */
export class InvalidOptionError extends MnistEvalError {
  override name = 'InvalidOptionError'
  readonly option: string
  constructor(option: string, expected: string, found: unknown) {
    super('EVAL_INVALID_OPTION', `option "${option}": expected ${expected}, found ${describe(found)}`)
    this.option = option
  }
}

/** The model's input or output shape is not one this package can evaluate (an image classifier with one output). */
export class ModelShapeError extends MnistEvalError {
  override name = 'ModelShapeError'
  constructor(message: string) {
    super('EVAL_MODEL_SHAPE', message)
  }
}

/** A PNG could not be decoded; `file` names it (or `<bytes>` when only bytes were given). */
export class ImageDecodeError extends MnistEvalError {
  override name = 'ImageDecodeError'
  readonly file: string
  constructor(file: string, detail: string, cause?: unknown) {
    super('EVAL_IMAGE_DECODE', `${file}: ${detail}`, cause === undefined ? undefined : { cause })
    this.file = file
  }
}

/** A PNG declares more pixels than `maxPixels` allows; refused from its IHDR header, before any pixel is decoded. */
export class ImageTooLargeError extends MnistEvalError {
  override name = 'ImageTooLargeError'
  readonly file: string
  readonly width: number
  readonly height: number
  readonly maxPixels: number
  constructor(file: string, width: number, height: number, maxPixels: number) {
    super(
      'EVAL_IMAGE_TOO_LARGE',
      `${file}: the PNG declares ${width}x${height} = ${width * height} pixels; the limit is ${maxPixels} (maxPixels)`,
    )
    this.file = file
    this.width = width
    this.height = height
    this.maxPixels = maxPixels
  }
}

/** A report file or folder could not be written; nothing already on disk was replaced. */
export class ReportWriteError extends MnistEvalError {
  override name = 'ReportWriteError'
  readonly path: string
  constructor(path: string, detail: string, cause?: unknown) {
    super('EVAL_REPORT_WRITE', `${path}: ${detail}`, cause === undefined ? undefined : { cause })
    this.path = path
  }
}

/** Short, printable description of a bad value for error messages. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value)
  if (Array.isArray(value)) return `an array of length ${value.length}`
  if (ArrayBuffer.isView(value))
    return `a ${value.constructor.name} of length ${(value as unknown as { length: number }).length}`
  return typeof value === 'object' ? `an object (${value.constructor?.name ?? 'Object'})` : typeof value
}
