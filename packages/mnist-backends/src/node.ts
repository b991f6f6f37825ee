// Public surface of @mnist/backends in Node.js (the "node" export condition). Re-exports only: the same names as the
// default entry, with selection over every backend (tfjs-node, Dawn WebGPU), plus the WebGPU-in-Node helpers.
export { BACKEND_ORDER, listBackends, selectBackend } from './node/select'
export { createBackendSelector } from './select'
export { registerWasmTrainingKernels } from './kernels/wasm-kernels'
export { registerCpuTrainingKernels } from './kernels/cpu-kernels'
export { isSoftwareAdapter, probeWebGpu, registerWebGpuBackend } from './node/webgpu'
export {
  MnistBackendsError,
  BackendUnavailableError,
  BackendsConfigError,
  GradientsMissingError,
  UnsupportedKernelError,
} from './errors'

export type { BackendSelector } from './select'
export type {
  BackendDescriptor,
  BackendName,
  BackendRequest,
  BackendSelection,
  BackendStatus,
  Probe,
  ProbeContext,
  SelectBackendOptions,
  SkippedBackend,
} from './types'
export type { WebGpuAdapterInfo, WebGpuOptions, WebGpuProbe } from './node/webgpu'
export type { MnistBackendsErrorCode } from './errors'
