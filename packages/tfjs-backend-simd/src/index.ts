// Public surface of @mnist/backend-simd. Importing it registers the 'simd' backend and its kernels.
import { findBackendFactory } from '@tensorflow/tfjs-core'
import './register-kernels'
import { BACKEND_NAME, registerSimdBackend } from './base'

// Unless the other build of this package (ESM or CJS), loaded first, registered it: re-registering would dispose a
// running backend.
if (findBackendFactory(BACKEND_NAME) == null) registerSimdBackend()

export { BACKEND_NAME, BACKEND_PRIORITY, registerSimdBackend, getSimdBackend, simdLoadError } from './base'
export { registeredKernels } from './register-kernels'
export { simdFeatures, setThreadsCount, getThreadsCount, MAX_THREADS } from './flags'
export { SimdBackend } from './backend'
export {
  SimdBackendError,
  WasmLoadError,
  SimdConfigError,
  SimdOutOfMemoryError,
  SimdNotActiveError,
  FusedNetworkError,
  FusedInputError,
} from './errors'
export { FusedTrainer } from './fused/trainer'
export { planNetwork } from './fused/network'
export { fusedNetworkFromSpec } from './fused/spec'

export type { SimdBackendOptions } from './base'
export type { SimdFeatures, SimdBuild } from './flags'
export type { SimdMemoryInfo } from './backend'
export type { SimdBackendErrorCode } from './errors'
export type {
  AdamWHyperParameters,
  FusedBatch,
  FusedOptimizerState,
  FusedStepResult,
  FusedTrainerOptions,
} from './fused/trainer'
export type {
  FusedBatchNormLayer,
  FusedConv2DLayer,
  FusedDenseLayer,
  FusedDropoutLayer,
  FusedFlattenLayer,
  FusedGlobalAvgPoolLayer,
  FusedLayer,
  FusedMaxPoolLayer,
  FusedNetwork,
  FusedReluLayer,
  FusedWeightSpec,
  NetworkPlan,
} from './fused/network'
export type {
  FusedModelSpec,
  FusedSpecConv,
  FusedSpecDense,
  FusedSpecDropout,
  FusedSpecFlatten,
  FusedSpecGlobalAvgPool,
  FusedSpecKnownLayer,
  FusedSpecLayer,
  FusedSpecMaxPool,
} from './fused/spec'
