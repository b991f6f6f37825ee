import {
  getKernel,
  type KernelConfig,
  type KernelFunc,
  type NamedAttrMap,
  type NamedTensorInfoMap,
  type TensorInfo,
} from '@tensorflow/tfjs-core'
import { BACKEND_NAME, type SimdBackend } from '../backend'
import { SimdBackendError } from '../errors'

export interface WasmKernelArgs {
  inputs: NamedTensorInfoMap
  backend: SimdBackend
  attrs: NamedAttrMap
}

/**
 * A kernel that runs in wasm when `impl` can handle its inputs (float32, supported attrs) and otherwise
 * hands the call to the stock CPU kernel of the same name (impl returns null).
 */
export function wasmKernel(
  kernelName: string,
  impl: (args: WasmKernelArgs) => TensorInfo | TensorInfo[] | null,
): KernelConfig {
  let cpu: KernelFunc | undefined
  const kernelFunc = (args: { inputs: NamedTensorInfoMap; backend: unknown; attrs?: NamedAttrMap }) => {
    const r = impl({ inputs: args.inputs, backend: args.backend as SimdBackend, attrs: args.attrs ?? {} })
    if (r !== null) return r
    cpu ??= getKernel(kernelName, 'cpu')?.kernelFunc
    if (!cpu) throw new SimdBackendError('SIMD_KERNEL_FAILED', `no cpu fallback for kernel ${kernelName}`)
    return cpu(args as Parameters<KernelFunc>[0])
  }
  return { kernelName, backendName: BACKEND_NAME, kernelFunc: kernelFunc as KernelFunc }
}

/** The named inputs of a kernel, all present. */
export type Inputs<K extends string> = Record<K, TensorInfo>
