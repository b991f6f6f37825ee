export type SimdBackendErrorCode =
  | 'SIMD_WASM_NOT_FOUND'
  | 'SIMD_WASM_INSTANTIATE_FAILED'
  | 'SIMD_UNSUPPORTED_BUILD'
  | 'SIMD_BAD_THREADS'
  | 'SIMD_OUT_OF_MEMORY'
  | 'SIMD_WORKER_FAILED'
  | 'SIMD_BACKEND_DISPOSED'
  | 'SIMD_UNSUPPORTED_NETWORK'
  | 'SIMD_BAD_TRAINING_INPUT'
  | 'SIMD_BACKEND_NOT_ACTIVE'
  | 'SIMD_GRADIENT_MISSING'
  | 'SIMD_KERNEL_FAILED'

/** Catch this one class to handle every failure @mnist/backend-simd throws. Branch on `code`, not on message text. */
export class SimdBackendError extends Error {
  override name = 'SimdBackendError'
  constructor(
    readonly code: SimdBackendErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`[@mnist/backend-simd] ${message}`, options)
  }
}

/**
 * The wasm build could not be loaded: the `wasmUrl` option's file is missing or is not a wasm module (an HTML page),
 * the module that embeds it could not be imported, or it did not compile. `file` names where it came from.
 */
export class WasmLoadError extends SimdBackendError {
  override name = 'WasmLoadError'
  constructor(
    readonly file: string,
    detail: string,
    options: { cause?: unknown; code?: 'SIMD_WASM_NOT_FOUND' | 'SIMD_WASM_INSTANTIATE_FAILED' } = {},
  ) {
    super(options.code ?? 'SIMD_WASM_NOT_FOUND', `${file}: ${detail}`, { cause: options.cause })
  }
}

/** A setting (threads count, build name, MNIST_THREADS) has a value outside what is accepted. */
export class SimdConfigError extends SimdBackendError {
  override name = 'SimdConfigError'
  constructor(
    code: 'SIMD_BAD_THREADS' | 'SIMD_UNSUPPORTED_BUILD',
    readonly setting: string,
    readonly value: unknown,
    expected: string,
  ) {
    super(code, `${setting}=${JSON.stringify(value)}: expected ${expected}`)
  }
}

/** The WebAssembly memory could not grow to hold the requested tensors. */
export class SimdOutOfMemoryError extends SimdBackendError {
  override name = 'SimdOutOfMemoryError'
  constructor(
    readonly requestedBytes: number,
    readonly heapBytes: number,
    cause?: unknown,
  ) {
    super(
      'SIMD_OUT_OF_MEMORY',
      `cannot allocate ${requestedBytes} bytes: the wasm heap already holds ${heapBytes} bytes and may not grow past its 2 GiB maximum`,
      { cause },
    )
  }
}

/** The fused trainer cannot run this network (a layer it does not fuse, or an invalid layer setting). */
export class FusedNetworkError extends SimdBackendError {
  override name = 'FusedNetworkError'
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super('SIMD_UNSUPPORTED_NETWORK', `fused trainer, ${path}: ${detail}`)
  }
}

/** A fused-trainer call got arrays of the wrong size or values out of range. */
export class FusedInputError extends SimdBackendError {
  override name = 'FusedInputError'
  constructor(
    readonly argument: string,
    expected: string,
    found: unknown,
  ) {
    super(
      'SIMD_BAD_TRAINING_INPUT',
      `fused trainer, ${argument}: expected ${expected}, found ${typeof found === 'string' ? found : JSON.stringify(found)}`,
    )
  }
}

/** A simd-only API (such as FusedTrainer) was used while another backend, or none, is active. */
export class SimdNotActiveError extends SimdBackendError {
  override name = 'SimdNotActiveError'
  constructor(
    readonly what: string,
    readonly activeBackend: string | undefined,
  ) {
    super(
      'SIMD_BACKEND_NOT_ACTIVE',
      `${what} needs the simd backend active (await tf.setBackend('simd')), found ` +
        `${activeBackend === undefined ? 'no backend' : `'${activeBackend}'`}`,
    )
  }
}
