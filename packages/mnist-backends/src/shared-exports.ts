// What both entries (index.ts for browsers and other runtimes, node.ts for Node.js) export alike. Re-exports only;
// each entry adds its own selectBackend / listBackends / BACKEND_ORDER over the backends its runtime can have.
export { createBackendSelector } from './select'
export { registerWasmTrainingKernels } from './kernels/wasm-kernels'
export { registerCpuTrainingKernels } from './kernels/cpu-kernels'
export { isSoftwareAdapter } from './software-adapter'
export {
  MnistBackendsError,
  BackendUnavailableError,
  BackendsConfigError,
  GradientsMissingError,
  UnsupportedKernelError,
} from './errors'

export type { BackendSelector } from './select'
export type { AdapterFacts } from './software-adapter'
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
