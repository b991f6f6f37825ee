import * as tf from '@tensorflow/tfjs-core'
import {
  BACKEND_NAME,
  getThreadsCount,
  MAX_THREADS,
  setThreadsCount,
  simdFeatures,
  simdLoadError,
  SimdConfigError,
} from '@mnist/backend-simd'
import { BackendsConfigError } from '../errors'
import type { BackendDescriptor, Probe } from '../types'

const FIX =
  'use a runtime with WebAssembly SIMD (Node >= 16.4, Chrome/Edge >= 91, Firefox >= 89, Safari >= 16.4) and an intact ' +
  '@mnist/backend-simd install (reinstall it), or select the wasm backend'

/**
 * @mnist/backend-simd. Its exported `BACKEND_PRIORITY` (1.5) is tfjs's default-backend rank, deliberately below stock
 * wasm's 2 (explicit `tf.setBackend('simd')` is its intended use); for training it is ~40x faster than stock wasm, so
 * `auto` ranks it above wasm and below the native and GPU backends.
 */
export const simdBackend: BackendDescriptor = {
  name: 'simd',
  priority: 30,
  fix: FIX,
  probe: async ({ options }) => probeSimd(options.threads),
  // The factory is still registered until its first load fails: that first failure is only known after setBackend.
  initFailure: () => {
    const failed = simdLoadError()
    return failed ? { reason: failed.message, cause: failed } : undefined
  },
}

async function probeSimd(threads: number | undefined): Promise<Probe> {
  if (tf.findBackendFactory(BACKEND_NAME) == null) {
    // A failed wasm load unregisters the backend; its error says which file could not be loaded.
    const failed = simdLoadError()
    const reason = failed ? failed.message : '@mnist/backend-simd loaded but registered no "simd" backend'
    return { ok: false, reason, fix: FIX }
  }
  try {
    if (threads !== undefined) setThreadsCount(threads)
    // Reads MNIST_THREADS when no count was set: a bad value there is the caller's error too, not a reason to skip.
    getThreadsCount()
  } catch (error) {
    if (error instanceof SimdConfigError && error.code === 'SIMD_BAD_THREADS') {
      const option = threads === undefined ? error.setting : 'threads'
      const expected = `an integer from 1 to ${MAX_THREADS}`
      throw new BackendsConfigError('BACKENDS_BAD_THREADS', option, expected, error.value, { cause: error })
    }
    throw error
  }
  const features = simdFeatures()
  return {
    ok: true,
    tfBackend: BACKEND_NAME,
    device: async () => {
      const n = getThreadsCount()
      return `WebAssembly (@mnist/backend-simd, ${features.build} build, ${n} thread${n === 1 ? '' : 's'})`
    },
    features: async () => ({ ...features }),
  }
}
