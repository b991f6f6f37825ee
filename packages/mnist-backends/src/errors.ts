export type MnistBackendsErrorCode =
  | 'BACKENDS_UNAVAILABLE'
  | 'BACKENDS_UNKNOWN_BACKEND'
  | 'BACKENDS_BAD_THREADS'
  | 'BACKENDS_BAD_OPTION'
  | 'BACKENDS_GRADIENTS_MISSING'
  | 'BACKENDS_KERNEL_UNSUPPORTED'

/** Catch this one class to handle every failure @mnist/backends throws. Branch on `code`, not on message text. */
export class MnistBackendsError extends Error {
  override name = 'MnistBackendsError'
  constructor(
    readonly code: MnistBackendsErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`[@mnist/backends] ${message}`, options)
  }
}

/** A backend that was asked for by name cannot run here. `reason` says why, `fix` what to do about it. */
export class BackendUnavailableError extends MnistBackendsError {
  override name = 'BackendUnavailableError'
  constructor(
    readonly backend: string,
    readonly reason: string,
    readonly fix: string,
    options?: { cause?: unknown },
  ) {
    super('BACKENDS_UNAVAILABLE', `backend "${backend}" is not available: ${reason}. Fix: ${fix}`, options)
  }
}

/**
 * An option is out of range or of the wrong kind: `BACKENDS_UNKNOWN_BACKEND` (a name that is not a backend),
 * `BACKENDS_BAD_THREADS` (threads outside 1..MAX_THREADS of @mnist/backend-simd), `BACKENDS_BAD_OPTION` (anything
 * else).
 */
export class BackendsConfigError extends MnistBackendsError {
  override name = 'BackendsConfigError'
  constructor(
    code: 'BACKENDS_UNKNOWN_BACKEND' | 'BACKENDS_BAD_THREADS' | 'BACKENDS_BAD_OPTION',
    readonly option: string,
    readonly expected: string,
    readonly found: unknown,
    options?: { cause?: unknown },
  ) {
    super(code, `option "${option}": expected ${expected}, found ${describe(found)}`, options)
  }
}

/** tfjs-core's gradients are not registered on the tfjs-core copy this package uses (two copies of tfjs-core?). */
export class GradientsMissingError extends MnistBackendsError {
  override name = 'GradientsMissingError'
  constructor(readonly missing: string[]) {
    super(
      'BACKENDS_GRADIENTS_MISSING',
      `tfjs gradients are not registered (missing ${missing.join(', ')}): load @tensorflow/tfjs-layers 4.22 from ` +
        'the same tfjs-core copy',
    )
  }
}

/** A kernel registered by this package got attributes it does not implement. */
export class UnsupportedKernelError extends MnistBackendsError {
  override name = 'UnsupportedKernelError'
  constructor(
    readonly kernel: string,
    readonly backend: string,
    detail: string,
  ) {
    super('BACKENDS_KERNEL_UNSUPPORTED', `${kernel} on "${backend}": ${detail}`)
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
