import { util, type KernelConfig } from '@tensorflow/tfjs-core'
import { SimdBackendError } from '../errors'
import { Call } from './_call'
import { binaryConfig, broadcastDims, BINARY_OPS } from './_elementwise'
import { wasmKernel, type Inputs } from './_fallback'

/** dx = dy · step(x): Relu's gradient in one pass (tfjs: Step, then Multiply). */
export const simdReluGradConfig: KernelConfig = binaryConfig('SimdReluGrad')

/** dx = 2 · x · dy: Square's gradient in one pass (tfjs: two Multiply). */
export const simdSquareGradConfig: KernelConfig = binaryConfig('SimdSquareGrad')

/**
 * dx = broadcast(dy, shape) · scale: Mean's gradient in one pass (tfjs: ones, Multiply, RealDiv). dy comes
 * reshaped with the reduced axes kept as 1.
 */
export const simdMeanGradConfig: KernelConfig = wasmKernel('SimdMeanGrad', ({ inputs, backend, attrs }) => {
  const { dy } = inputs as unknown as Inputs<'dy'>
  const shape = attrs.shape as number[]
  const scale = Number(attrs.scale)
  const dims = broadcastDims(dy.shape, [], shape)
  if (!dims) throw new SimdBackendError('SIMD_KERNEL_FAILED', `SimdMeanGrad: cannot broadcast ${dy.shape} to ${shape}`)
  const call = new Call(backend)
  try {
    const pdy = call.in(dy)
    const ps = call.scratch(1)
    backend.rt.heap.f32()[ps >> 2] = scale
    const out = call.out(shape)
    const rows = dims[0]! * dims[1]! * dims[2]!
    const parts = call.split(rows, call.threadsFor(util.sizeFromShape(shape) * 8))
    backend.rt.run(
      'binary_f32',
      parts.map(([r0, r1]) => [BINARY_OPS.Multiply, pdy, ps, out.ptr, ...dims, r0, r1]),
    )
    return call.result(out)
  } finally {
    call.finish()
  }
})
