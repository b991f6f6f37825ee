import { browserWebGpuBackend } from './backends/browser-webgpu'
import { cpuBackend } from './backends/cpu'
import { NODE, NODE_GPU, nodeOnly } from './backends/native'
import { simdBackend } from './backends/simd'
import { wasmBackend } from './backends/wasm'
import { createBackendSelector } from './select'
import type { BackendName, BackendRequest, BackendSelection, BackendStatus, SelectBackendOptions } from './types'

// The backends that need Node.js are listed with their rank but never probed here: nothing Node-only is imported.
// WebGPU is the page's own (navigator.gpu), with tfjs-backend-webgpu imported by the app.
const selector = createBackendSelector([
  nodeOnly(NODE_GPU),
  nodeOnly(NODE),
  browserWebGpuBackend,
  simdBackend,
  wasmBackend(),
  cpuBackend,
])

/** Our names for the backends, highest priority first (the order `auto` tries them in), computed from them. */
export const BACKEND_ORDER: readonly BackendName[] = selector.order

/** As the Node entry's `selectBackend`; node-gpu and node are reported unavailable (they need Node.js). */
export function selectBackend(requested?: BackendRequest, options?: SelectBackendOptions): Promise<BackendSelection> {
  return selector.select(requested, options)
}

/** As the Node entry's `listBackends`; node-gpu and node are reported unavailable (they need Node.js). */
export function listBackends(options?: SelectBackendOptions): Promise<BackendStatus[]> {
  return selector.list(options)
}
