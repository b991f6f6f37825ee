import * as tf from '@tensorflow/tfjs-core'
import { registerWasmTrainingKernels } from '../kernels/wasm-kernels'
import { firstLine } from '../_first-line'
import type { BackendDescriptor, Probe } from '../types'

type WasmModule = typeof import('@tensorflow/tfjs-backend-wasm')

export const WASM_FIX =
  'reinstall @tensorflow/tfjs-backend-wasm (its dist/*.wasm files must be present), or select the cpu backend'

/**
 * Where the emscripten loader finds the `.wasm` binaries: a path prefix for `setWasmPaths`, `undefined` to leave
 * tfjs's default (next to the script, in a browser), or a failed probe when they are missing.
 */
export type LocateWasmBinaries = () => string | undefined | Extract<Probe, { ok: false }>

let wasmThreads: number | undefined

/** Stock tfjs-backend-wasm (XNNPACK) with our `Conv2DBackpropFilter`, which it lacks. */
export function wasmBackend(locate: LocateWasmBinaries = () => undefined): BackendDescriptor {
  return {
    name: 'wasm',
    priority: 20,
    fix: WASM_FIX,
    probe: async ({ options }) => {
      let wasm: WasmModule
      try {
        wasm = await import('@tensorflow/tfjs-backend-wasm')
      } catch (error) {
        const reason = `@tensorflow/tfjs-backend-wasm could not be loaded: ${firstLine(error)}`
        return { ok: false, reason, fix: WASM_FIX, cause: error }
      }
      const paths = locate()
      if (typeof paths === 'object') return paths
      if (paths !== undefined) wasm.setWasmPaths(paths)
      if (options.threads !== undefined && options.threads !== wasmThreads) {
        wasm.setThreadsCount(options.threads)
        wasmThreads = options.threads
      }
      registerWasmTrainingKernels()
      return available(wasm)
    },
  }
}

function available(wasm: WasmModule): Probe {
  return {
    ok: true,
    tfBackend: 'wasm',
    device: async () => {
      const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')
      const n = wasm.getThreadsCount()
      return `WebAssembly (tfjs-backend-wasm, XNNPACK${simd ? ', SIMD' : ''}, ${n} thread${n === 1 ? '' : 's'})`
    },
    features: async () => ({
      simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'),
      threads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT'),
      threadsCount: wasm.getThreadsCount(),
    }),
  }
}
