import { cpuBackend } from '../backends/cpu'
import { simdBackend } from '../backends/simd'
import { wasmBackend } from '../backends/wasm'
import { createBackendSelector } from '../select'
import type { BackendName, BackendRequest, BackendSelection, BackendStatus, SelectBackendOptions } from '../types'
import { nodeBackend, nodeGpuBackend } from './tfjs-node'
import { locateWasmBinariesInNode } from './wasm-paths'
import { webGpuBackend } from './webgpu-backend'

const selector = createBackendSelector([
  nodeGpuBackend,
  nodeBackend,
  webGpuBackend,
  simdBackend,
  wasmBackend(locateWasmBinariesInNode),
  cpuBackend,
])

/** Our names for the backends, highest priority first (the order `auto` tries them in), computed from them. */
export const BACKEND_ORDER: readonly BackendName[] = selector.order

/**
 * Make a backend the active tfjs backend. `auto` tries `BACKEND_ORDER` and takes the first that works, reporting each
 * one skipped with a one-line reason; a backend asked for by name that cannot run throws `BackendUnavailableError`
 * (reason + fix). Also registers tfjs-core's gradients (its Node bundle registers none) and silences tfjs's console
 * banners (production mode), since a library must not print.
 */
export function selectBackend(requested?: BackendRequest, options?: SelectBackendOptions): Promise<BackendSelection> {
  return selector.select(requested, options)
}

/**
 * Every backend: whether it can run here, on what, or why not and how to fix it. Backends are initialised to find
 * out; the active backend is restored afterwards.
 */
export function listBackends(options?: SelectBackendOptions): Promise<BackendStatus[]> {
  return selector.list(options)
}
