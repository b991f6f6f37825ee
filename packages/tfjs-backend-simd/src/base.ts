import { engine, registerBackend, removeBackend, findBackendFactory } from '@tensorflow/tfjs-core'
import { BACKEND_NAME, SimdBackend } from './backend'
import { installGradients } from './gradients'
import { Runtime, type RuntimeOptions } from './runtime'

export { BACKEND_NAME }

/** Between cpu (1) and webgl/wasm (2): explicit tf.setBackend('simd') is the intended use. */
export const BACKEND_PRIORITY = 1.5

export type SimdBackendOptions = RuntimeOptions

/**
 * (Re)registers the 'simd' backend factory with `options`. Importing the package already did this with the
 * defaults; call it to force a build (e.g. 'scalar') or to disable shared memory, then tf.setBackend('simd').
 * An existing simd backend instance is disposed.
 */
export function registerSimdBackend(options: SimdBackendOptions = {}, priority = BACKEND_PRIORITY): void {
  // removeBackend disposes a running instance (terminating its workers) and unsets it if active.
  if (findBackendFactory(BACKEND_NAME) != null) removeBackend(BACKEND_NAME)
  registerBackend(BACKEND_NAME, async () => {
    const backend = new SimdBackend(await Runtime.create(options))
    installGradients()
    return backend
  }, priority)
}

/** The running simd backend instance, if tf has initialised it. */
export function getSimdBackend(): SimdBackend | undefined {
  const b = engine().registry[BACKEND_NAME]
  return b instanceof SimdBackend ? b : undefined
}
