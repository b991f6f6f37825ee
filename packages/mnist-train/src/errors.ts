export type MnistTrainErrorCode =
  | 'MNIST_TRAIN_INVALID_CONFIG'
  | 'MNIST_TRAIN_NON_FINITE_LOSS'
  | 'MNIST_TRAIN_CHECKPOINT_INVALID'
  | 'MNIST_TRAIN_CHECKPOINT_WRITE_FAILED'

/** Catch this one class to handle every failure @mnist/train throws. Branch on `code`, not on message text. */
export class MnistTrainError extends Error {
  override name = 'MnistTrainError'
  constructor(readonly code: MnistTrainErrorCode, message: string, options?: { cause?: unknown }) {
    super(`[@mnist/train] ${message}`, options)
  }
}

/** A training option (or CLI flag) is out of range or of the wrong kind. */
export class InvalidTrainConfigError extends MnistTrainError {
  override name = 'InvalidTrainConfigError'
  constructor(readonly option: string, readonly expected: string, readonly found: unknown) {
    super('MNIST_TRAIN_INVALID_CONFIG', `option "${option}": expected ${expected}, found ${describe(found)}`)
  }
}

/**
 * The loss became NaN or infinite. Training stops at that step; the weights of that step are not saved and
 * nothing already on disk is touched.
 */
export class NonFiniteLossError extends MnistTrainError {
  override name = 'NonFiniteLossError'
  constructor(readonly step: number, readonly epoch: number, readonly batch: number, readonly loss: number) {
    super(
      'MNIST_TRAIN_NON_FINITE_LOSS',
      `loss became ${String(loss)} at step ${step} (epoch ${epoch}, batch ${batch}); training stopped and nothing ` +
        'was saved. Lower the learning rate (--lr) or check the input data.',
    )
  }
}

/** A checkpoint folder given to `resume` is missing files or was written by an incompatible run. */
export class CheckpointError extends MnistTrainError {
  override name = 'CheckpointError'
  constructor(readonly path: string, detail: string, options?: { cause?: unknown }) {
    super('MNIST_TRAIN_CHECKPOINT_INVALID', `${path}: ${detail}`, options)
  }
}

/** Writing a checkpoint failed; the previous checkpoint (if any) is left as it was. */
export class CheckpointWriteError extends MnistTrainError {
  override name = 'CheckpointWriteError'
  constructor(readonly path: string, options?: { cause?: unknown }) {
    super('MNIST_TRAIN_CHECKPOINT_WRITE_FAILED', `could not write checkpoint ${path}`, options)
  }
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
