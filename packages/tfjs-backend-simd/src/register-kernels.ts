// Registers every stock CPU kernel under 'simd' (so any tfjs program runs), then the wasm kernels over them.
import '@tensorflow/tfjs-backend-cpu'
import {
  getKernel,
  getKernelsForBackend,
  registerKernel,
  unregisterKernel,
  type KernelConfig,
} from '@tensorflow/tfjs-core'
import { BACKEND_NAME, type SimdBackend } from './backend'
import { shared } from './process-state'
import { absConfig } from './kernels/Abs'
import { addConfig } from './kernels/Add'
import { batchMatMulConfig, fusedMatMulConfig } from './kernels/BatchMatMul'
import { conv2DConfig } from './kernels/Conv2D'
import { conv2DBackpropFilterConfig } from './kernels/Conv2DBackpropFilter'
import { conv2DBackpropInputConfig } from './kernels/Conv2DBackpropInput'
import { fusedBatchNormConfig } from './kernels/FusedBatchNorm'
import { fusedConv2DConfig } from './kernels/FusedConv2D'
import { simdFusedBatchNormGradConfig } from './kernels/FusedBatchNormGrad'
import { simdMeanGradConfig, simdReluGradConfig, simdSquareGradConfig } from './kernels/SimdGrads'
import { leakyReluConfig } from './kernels/LeakyRelu'
import { maxConfig } from './kernels/Max'
import { maximumConfig } from './kernels/Maximum'
import { maxPoolConfig } from './kernels/MaxPool'
import { maxPoolGradConfig } from './kernels/MaxPoolGrad'
import { meanConfig } from './kernels/Mean'
import { minConfig } from './kernels/Min'
import { minimumConfig } from './kernels/Minimum'
import { multiplyConfig } from './kernels/Multiply'
import { negConfig } from './kernels/Neg'
import { prodConfig } from './kernels/Prod'
import { realDivConfig } from './kernels/RealDiv'
import { reciprocalConfig } from './kernels/Reciprocal'
import { reluConfig } from './kernels/Relu'
import { relu6Config } from './kernels/Relu6'
import { rsqrtConfig } from './kernels/Rsqrt'
import { sqrtConfig } from './kernels/Sqrt'
import { squareConfig } from './kernels/Square'
import { squaredDifferenceConfig } from './kernels/SquaredDifference'
import { stepConfig } from './kernels/Step'
import { subConfig } from './kernels/Sub'
import { sumConfig } from './kernels/Sum'
import { tileConfig } from './kernels/Tile'

/** The wasm kernels (each falls back to the CPU kernel for dtypes/attrs it does not handle), sorted by name. */
export const KERNELS: readonly KernelConfig[] = [
  fusedMatMulConfig,
  absConfig,
  addConfig,
  batchMatMulConfig,
  conv2DConfig,
  conv2DBackpropFilterConfig,
  conv2DBackpropInputConfig,
  fusedBatchNormConfig,
  fusedConv2DConfig,
  leakyReluConfig,
  maxConfig,
  maxPoolConfig,
  maxPoolGradConfig,
  maximumConfig,
  meanConfig,
  minConfig,
  minimumConfig,
  multiplyConfig,
  negConfig,
  prodConfig,
  realDivConfig,
  reciprocalConfig,
  reluConfig,
  relu6Config,
  rsqrtConfig,
  simdFusedBatchNormGradConfig,
  simdMeanGradConfig,
  simdReluGradConfig,
  simdSquareGradConfig,
  sqrtConfig,
  squareConfig,
  squaredDifferenceConfig,
  stepConfig,
  subConfig,
  sumConfig,
  tileConfig,
]

function register(config: KernelConfig): void {
  if (getKernel(config.kernelName, BACKEND_NAME)) unregisterKernel(config.kernelName, BACKEND_NAME)
  registerKernel(config)
}

function registerAll(): void {
  for (const cpu of getKernelsForBackend('cpu')) {
    const inner = cpu.kernelFunc
    register({
      ...cpu,
      backendName: BACKEND_NAME,
      kernelFunc: (args) => {
        const out = inner(args)
        ;(args.backend as SimdBackend).detachAliases(out)
        return out
      },
    })
  }
  for (const k of KERNELS) register(k)
}

// The other build of this package (ESM or CJS) may have registered them already: one set per process.
if (!shared.kernelsRegistered) {
  registerAll()
  shared.kernelsRegistered = true
}

/** Kernel names whose 'simd' implementation is WebAssembly (the rest are the stock CPU kernels). */
export function registeredKernels(): string[] {
  return KERNELS.map((k) => k.kernelName).sort()
}
