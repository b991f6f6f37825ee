// Public surface of @mnist/backends in Node.js (the "node" export condition). Re-exports only: the same names as the
// default entry, with selection over every backend (tfjs-node, Dawn WebGPU), plus the WebGPU-in-Node helpers.
export { BACKEND_ORDER, listBackends, selectBackend } from './node/select'
export { probeWebGpu, registerWebGpuBackend } from './node/webgpu'
export * from './shared-exports'

export type { WebGpuAdapterInfo, WebGpuOptions, WebGpuProbe } from './node/webgpu'
