export type MnistTrainErrorCode =
  | 'TRAIN_INVALID_CONFIG'
  | 'TRAIN_NON_FINITE_LOSS'
  | 'TRAIN_CHECKPOINT_INVALID'
  | 'TRAIN_CHECKPOINT_WRITE_FAILED'
  | 'TRAIN_OUT_DIR_UNWRITABLE'
  | 'TRAIN_BAD_DATA'
  | 'TRAIN_BATCH_TOO_LARGE'
  | 'TRAIN_RESUME_BACKEND_UNAVAILABLE'
  | 'TRAIN_ABORTED_BEFORE_START'
  | 'TRAIN_RESUME_MODEL_MISMATCH'

/** Catch this one class to handle every failure @mnist/train throws. Branch on `code`, not on message text. */
export class MnistTrainError extends Error {
  override name = 'MnistTrainError'
  constructor(
    readonly code: MnistTrainErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`[@mnist/train] ${message}`, options)
  }
}

/** A training option (or CLI flag) is out of range or of the wrong kind. */
export class InvalidTrainConfigError extends MnistTrainError {
  override name = 'InvalidTrainConfigError'
  constructor(
    readonly option: string,
    readonly expected: string,
    readonly found: unknown,
  ) {
    super('TRAIN_INVALID_CONFIG', `option "${option}": expected ${expected}, found ${describe(found)}`)
  }
}

/**
 * The loss became NaN or infinite. Training stops at that step; the weights of that step are not saved and
 * nothing already on disk is touched.
 */
export class NonFiniteLossError extends MnistTrainError {
  override name = 'NonFiniteLossError'
  constructor(
    readonly step: number,
    readonly epoch: number,
    readonly batch: number,
    readonly loss: number,
  ) {
    super(
      'TRAIN_NON_FINITE_LOSS',
      `loss became ${String(loss)} at step ${step} (epoch ${epoch}, batch ${batch}); training stopped and nothing ` +
        'was saved. Lower the learning rate (config.maxLr) or check the input data.',
    )
  }
}

/** A checkpoint folder given to `resume` is missing files or was written by an incompatible run. */
export class CheckpointError extends MnistTrainError {
  override name = 'CheckpointError'
  constructor(
    readonly path: string,
    detail: string,
    options?: { cause?: unknown },
  ) {
    super('TRAIN_CHECKPOINT_INVALID', `${path}: ${detail}`, options)
  }
}

/** Writing a checkpoint failed; the previous checkpoint (if any) is left as it was. */
export class CheckpointWriteError extends MnistTrainError {
  override name = 'CheckpointWriteError'
  constructor(
    readonly path: string,
    options?: { cause?: unknown },
  ) {
    super('TRAIN_CHECKPOINT_WRITE_FAILED', `could not write checkpoint ${path}`, options)
  }
}

/** The run folder could not be created in `outDir` (or is not writable): found at the start, before any training. */
export class RunDirError extends MnistTrainError {
  override name = 'RunDirError'
  readonly option = 'outDir'
  constructor(
    readonly path: string,
    detail: string,
    cause?: unknown,
  ) {
    super('TRAIN_OUT_DIR_UNWRITABLE', `option "outDir": ${path} ${detail}${reason(cause)}`, { cause })
  }
}

/** In-memory `data` given to `train()` that the model cannot train on (a label out of range, a wrong image size). */
export class TrainDataError extends MnistTrainError {
  override name = 'TrainDataError'
  readonly option = 'data'
  constructor(
    readonly field: string,
    detail: string,
  ) {
    super('TRAIN_BAD_DATA', `option "data": ${field} ${detail}`)
  }
}

/** The batch does not fit the backend's memory (e.g. the simd backend's 2 GiB wasm heap). */
export class BatchTooLargeError extends MnistTrainError {
  override name = 'BatchTooLargeError'
  readonly option = 'batchSize'
  constructor(
    readonly batchSize: number,
    readonly backend: string,
    cause: unknown,
  ) {
    super(
      'TRAIN_BATCH_TOO_LARGE',
      `option "batchSize": ${batchSize} images per step do not fit in the memory of the ${backend} backend` +
        `${reason(cause)}; use a smaller batch size`,
      { cause },
    )
  }
}

/** Resuming on the backend the checkpoint recorded is not possible here (resume elsewhere by naming `backend`). */
export class ResumeBackendError extends MnistTrainError {
  override name = 'ResumeBackendError'
  readonly option = 'backend'
  constructor(
    readonly path: string,
    readonly backend: string,
    cause: unknown,
  ) {
    super(
      'TRAIN_RESUME_BACKEND_UNAVAILABLE',
      `${path} was trained on backend "${backend}", which is not available here${reason(cause)}. A resumed run ` +
        `continues on its backend so that it gives the same model; name another backend to continue there ` +
        '(the weights will then differ from an uninterrupted run)',
      { cause },
    )
  }
}

/**
 * The architecture given to a resumed run is not the one its checkpoint trained: a checkpoint continues only with its
 * own network (leave the model out to resume, or start a new run for another architecture).
 */
export class ResumeModelMismatchError extends MnistTrainError {
  override name = 'ResumeModelMismatchError'
  readonly option = 'model'
  constructor(
    readonly path: string,
    /** The checkpoint's architecture, in one line (`describeModelConfig`). */
    readonly saved: string,
    /** The given architecture, in one line. */
    readonly given: string,
  ) {
    super(
      'TRAIN_RESUME_MODEL_MISMATCH',
      `option "model": ${path} was trained with the architecture [${saved}], not the given [${given}]; a resumed ` +
        'run keeps its architecture (leave the model out, or start a new run)',
    )
  }
}

/**
 * The signal aborted before the first step of a new run (during data loading or setup): nothing was trained, so
 * nothing is saved (no untrained checkpoint) and the run folder is removed.
 */
export class TrainAbortedError extends MnistTrainError {
  override name = 'TrainAbortedError'
  constructor() {
    super('TRAIN_ABORTED_BEFORE_START', 'aborted before the first training step; nothing was saved')
  }
}

/** `: <the cause's message>` (without its package prefix), or nothing. */
function reason(cause: unknown): string {
  if (!(cause instanceof Error)) return ''
  const code = (cause as NodeJS.ErrnoException).code
  const message = cause.message.replace(/^\[@mnist\/[\w-]+\] /, '')
  return code && !message.includes(code) ? `: ${message} (${code})` : `: ${message}`
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value)
  if (typeof value === 'number' || typeof value === 'boolean' || value == null) return String(value)
  try {
    return JSON.stringify(value)
  } catch {
    return typeof value
  }
}
