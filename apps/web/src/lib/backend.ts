// Starting the simd backend and saying why it runs the way it does (the "engine" panel). The one module that talks to
// @mnist/backend-simd's runtime API; used by the page (inference) and by the training worker.
import '@tensorflow/tfjs-backend-cpu'
import * as tf from '@tensorflow/tfjs-core'
import { BACKEND_NAME, getSimdBackend, setThreadsCount, simdFeatures, simdLoadError } from '@mnist/backend-simd'

export interface EngineInfo {
  /** The tfjs backend in use ('simd', or 'cpu' when simd could not start). */
  backend: string
  /** The wasm build ('relaxed-simd' | 'simd' | 'scalar'), undefined off simd. */
  build: string | undefined
  threads: number
  /** One line each: why this backend, why this build, why this many threads. */
  why: string[]
}

/** The threads this context can use: all cores when the page is cross-origin isolated, else one. */
export function availableThreads(): number {
  return globalThis.crossOriginIsolated ? Math.max(1, navigator.hardwareConcurrency || 1) : 1
}

/** Start `simd` with `threads` threads (falling back to `cpu` if it cannot start) and describe the result. */
export async function startEngine(threads: number, threadsWhy: string): Promise<EngineInfo> {
  setThreadsCount(threads)
  const ok = await tf.setBackend(BACKEND_NAME)
  if (!ok) {
    await tf.setBackend('cpu')
    const reason = simdLoadError()?.message ?? 'unknown reason'
    return { backend: 'cpu', build: undefined, threads: 1, why: [`cpu: the simd backend could not start (${reason})`] }
  }
  await tf.ready()
  const simd = getSimdBackend()
  const features = simdFeatures()
  const running = simd?.threads ?? 1
  const buildWhy =
    features.build === 'relaxed-simd'
      ? 'this browser validates relaxed SIMD (fused multiply-add)'
      : features.build === 'simd'
        ? 'WebAssembly SIMD is available, relaxed SIMD is not'
        : 'this browser has no WebAssembly SIMD'
  const threadLine =
    simd?.workerStartError != null
      ? `1 thread: workers could not start (${String(simd.workerStartError)})`
      : `${running} thread${running === 1 ? '' : 's'}: ${threadsWhy}`
  return {
    backend: BACKEND_NAME,
    build: simd?.build ?? features.build,
    threads: running,
    why: [
      'simd: WebAssembly kernels from @mnist/backend-simd',
      `${simd?.build ?? features.build}: ${buildWhy}`,
      threadLine,
    ],
  }
}

/** Why a context gets the threads `availableThreads()` gives. */
export function threadsReason(): string {
  if (!globalThis.crossOriginIsolated) {
    return 'the page is not cross-origin isolated (no COOP/COEP headers), so no SharedArrayBuffer for workers'
  }
  return `cross-origin isolated (COOP/COEP), one per core (navigator.hardwareConcurrency = ${navigator.hardwareConcurrency})`
}
