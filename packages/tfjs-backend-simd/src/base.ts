import { engine, registerBackend, removeBackend, findBackendFactory } from '@tensorflow/tfjs-core'
import { BACKEND_NAME, SimdBackend } from './backend'
import { SimdBackendError } from './errors'
import { installGradients } from './gradients'
import { Runtime, type SimdBackendOptions } from './runtime'
import { shared } from './process-state'

export { BACKEND_NAME }

/** Between cpu (1) and webgl/wasm (2): explicit tf.setBackend('simd') is the intended use. */
export const BACKEND_PRIORITY = 1.5

export type { SimdBackendOptions }

/**
 * (Re)registers the 'simd' backend factory with `options`. Importing the package already did this with the
 * defaults; call it to force a build (e.g. 'scalar') or to disable shared memory, then tf.setBackend('simd').
 * An existing simd backend instance is disposed.
 *
 * When the backend cannot start (the .wasm file cannot be read or compiled), its factory unregisters itself:
 * `tf.setBackend('simd')` resolves false, tfjs goes on with the next backend by priority, and simdLoadError()
 * says why.
 */
export function registerSimdBackend(options: SimdBackendOptions = {}, priority = BACKEND_PRIORITY): void {
  // removeBackend disposes a running instance (terminating its workers) and unsets it if active.
  if (findBackendFactory(BACKEND_NAME) != null) removeBackend(BACKEND_NAME)
  const factory = async (): Promise<SimdBackend> => {
    let rt: Runtime
    try {
      rt = await Runtime.create(options)
    } catch (e) {
      shared.loadError = e instanceof Error ? e : new SimdBackendError('SIMD_WASM_INSTANTIATE_FAILED', String(e))
      // Left registered, the failed factory would stay tfjs's best backend: every op would then throw "not yet
      // initialized" instead of running on the next backend.
      if (findBackendFactory(BACKEND_NAME) === factory) removeBackend(BACKEND_NAME)
      throw e
    }
    shared.loadError = undefined
    installGradients()
    return new SimdBackend(rt)
  }
  registerBackend(BACKEND_NAME, factory, priority)
}

/** Why the simd backend last failed to start (a WasmLoadError naming the file or URL), or undefined. */
export function simdLoadError(): Error | undefined {
  return shared.loadError
}

/** The running simd backend instance, if tf has initialised it. */
export function getSimdBackend(): SimdBackend | undefined {
  const b = engine().registry[BACKEND_NAME]
  return b instanceof SimdBackend ? b : undefined
}
