/**
 * Typed errors of `@mnist/model`. Every error extends {@link MnistModelError}, carries a stable `code`
 * and a message prefixed with `[@mnist/model]` that names the file/value, what was expected and what was found.
 */

const PREFIX = '[@mnist/model]'

export type MnistModelErrorCode =
  | 'MODEL_CONFIG_INVALID'
  | 'MODEL_PARAM_BUDGET_EXCEEDED'
  | 'MODEL_FILE_INVALID'
  | 'MODEL_FILE_NOT_REGULAR'
  | 'MODEL_FILE_TOO_LARGE'
  | 'MODEL_WEIGHTS_CHECKSUM_MISMATCH'
  | 'MODEL_WEIGHTS_NOT_FINITE'
  | 'MODEL_METADATA_INVALID'
  | 'MODEL_CHECKPOINT_INCOMPLETE'
  | 'MODEL_INPUT_SHAPE_INVALID'
  | 'MODEL_INPUT_RANGE_INVALID'
  | 'MODEL_EMPTY_IMAGE'
  | 'MODEL_PRETRAINED_UNAVAILABLE'
  | 'MODEL_UNSUPPORTED_ENVIRONMENT'

export class MnistModelError extends Error {
  readonly code: MnistModelErrorCode
  override readonly cause?: unknown

  constructor(code: MnistModelErrorCode, message: string, options?: { cause?: unknown }) {
    super(message.startsWith(PREFIX) ? message : `${PREFIX} ${message}`)
    this.name = 'MnistModelError'
    this.code = code
    if (options?.cause !== undefined) this.cause = options.cause
  }
}

/** A `ModelConfig` / `LayerSpec` that cannot describe a valid network (bad value, wrong rank, collapsed spatial size). */
export class ModelConfigError extends MnistModelError {
  /** Path of the offending value, e.g. `layers[3].kernelSize`. */
  readonly path: string
  constructor(path: string, message: string, options?: { cause?: unknown }) {
    super('MODEL_CONFIG_INVALID', `model config ${path}: ${message}`, options)
    this.name = 'ModelConfigError'
    this.path = path
  }
}

/** The model has at least `budget` trainable parameters (the budget is a strict upper bound). */
export class ParamBudgetError extends MnistModelError {
  readonly params: number
  readonly budget: number
  constructor(params: number, budget: number) {
    super(
      'MODEL_PARAM_BUDGET_EXCEEDED',
      `the model has ${fmt(params)} trainable parameters; the budget is fewer than ${fmt(budget)} ` +
        `(${fmt(params - budget + 1)} too many)`,
    )
    this.name = 'ParamBudgetError'
    this.params = params
    this.budget = budget
  }
}

/** The codes a {@link ModelFileError} carries: what is wrong with the file. */
export type ModelFileErrorCode =
  | 'MODEL_FILE_INVALID'
  | 'MODEL_FILE_NOT_REGULAR'
  | 'MODEL_FILE_TOO_LARGE'
  | 'MODEL_WEIGHTS_CHECKSUM_MISMATCH'
  | 'MODEL_WEIGHTS_NOT_FINITE'
  | 'MODEL_METADATA_INVALID'
  | 'MODEL_CHECKPOINT_INCOMPLETE'

/**
 * A model file (model.json, weights.bin, metadata.json, ...) is missing, unreadable, not a regular file, too large,
 * malformed, does not match the manifest or its checksum, or holds non-finite weights or invalid metadata; or the
 * folder holds a training checkpoint whose write was interrupted (`MODEL_CHECKPOINT_INCOMPLETE`).
 * `code` says which (default `MODEL_FILE_INVALID`).
 */
export class ModelFileError extends MnistModelError {
  /** The file (path or URL) the problem is about. */
  readonly file: string
  constructor(file: string, message: string, options?: { cause?: unknown; code?: ModelFileErrorCode }) {
    super(options?.code ?? 'MODEL_FILE_INVALID', `${file}: ${message}`, options)
    this.name = 'ModelFileError'
    this.file = file
  }
}

/** An input to `predict` / `toInputTensor` / `preprocessImage` has the wrong size, shape or layout. */
export class InputShapeError extends MnistModelError {
  readonly expected: string
  readonly found: string
  constructor(what: string, expected: string, found: string) {
    super('MODEL_INPUT_SHAPE_INVALID', `${what}: expected ${expected}, found ${found}`)
    this.name = 'InputShapeError'
    this.expected = expected
    this.found = found
  }
}

/** Pixel values outside the documented range (e.g. 0..255 floats passed where [0, 1] is expected). */
export class InputRangeError extends MnistModelError {
  constructor(what: string, expected: string, found: string) {
    super('MODEL_INPUT_RANGE_INVALID', `${what}: expected values ${expected}, found ${found}`)
    this.name = 'InputRangeError'
  }
}

/** `preprocessImage` found no digit (the image is uniform). */
export class EmptyImageError extends MnistModelError {
  constructor(width: number, height: number, contrast: number) {
    super(
      'MODEL_EMPTY_IMAGE',
      `image ${width}x${height}: expected a digit that stands out from the background, ` +
        `found a uniform image (contrast ${contrast.toFixed(1)} of 255)`,
    )
    this.name = 'EmptyImageError'
  }
}

/**
 * `loadPretrained()` could not get the weights built into the package: this build has none, or the module that holds
 * them could not be imported (a bundler or host that lost its chunk). `reason` says which.
 */
export class PretrainedUnavailableError extends MnistModelError {
  readonly version: string
  constructor(version: string, reason: string, options?: { cause?: unknown }) {
    super(
      'MODEL_PRETRAINED_UNAVAILABLE',
      `loadPretrained(): no built-in weights in @mnist/model ${version}: ${reason}; ` +
        'loadPretrained({ url }) loads them from a server (the files are @mnist/model/pretrained/*), ' +
        'loadModel() loads any other model',
      options,
    )
    this.name = 'PretrainedUnavailableError'
    this.version = version
  }
}

/** A Node-only function (file-system save/load) was called where `node:fs` is not available. */
export class UnsupportedEnvironmentError extends MnistModelError {
  constructor(what: string) {
    super(
      'MODEL_UNSUPPORTED_ENVIRONMENT',
      `${what} needs Node.js (node:fs); in a browser use modelToArtifacts() / loadModel(url | { modelJson, weights })`,
    )
    this.name = 'UnsupportedEnvironmentError'
  }
}

function fmt(n: number): string {
  return n.toLocaleString('en-US')
}
