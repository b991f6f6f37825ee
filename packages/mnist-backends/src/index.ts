// Public surface of @mnist/backends for browsers and other non-Node runtimes (the package's default entry).
// Re-exports only. Nothing here imports a Node built-in; Node gets ./node.ts through the "node" export condition.
export { BACKEND_ORDER, listBackends, selectBackend } from './browser'
export { createBackendSelector } from './select'
export { registerWasmTrainingKernels } from './kernels/wasm-kernels'
export { registerCpuTrainingKernels } from './kernels/cpu-kernels'
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
export type { MnistBackendsErrorCode } from './errors'
