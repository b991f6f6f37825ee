import { backend_util, MaxPool, type KernelConfig, type MaxPoolAttrs } from '@tensorflow/tfjs-core'
import { Call } from './_call'
import { geometry } from './_conv'
import { wasmKernel, type Inputs } from './_fallback'

export function poolInfo(shape: number[], attrs: MaxPoolAttrs): backend_util.Conv2DInfo {
  return backend_util.computePool2DInfo(
    shape as [number, number, number, number],
    attrs.filterSize,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
  )
}

export const maxPoolConfig: KernelConfig = wasmKernel(MaxPool, ({ inputs, backend, attrs }) => {
  const { x } = inputs as unknown as Inputs<'x'>
  if (x.dtype !== 'float32' || x.shape.length !== 4) return null
  const info = poolInfo(x.shape, attrs as unknown as MaxPoolAttrs)
  // tfjs: a 1x1 window with equal in/out shapes is the identity
  if (info.filterWidth === 1 && info.filterHeight === 1 && info.inShape.every((n, i) => n === info.outShape[i]))
    return null
  const call = new Call(backend)
  try {
    const px = call.in(x)
    const y = call.out(info.outShape)
    const geo = geometry(call, info)
    const rows = info.batchSize * info.outHeight * info.outWidth
    const parts = call.split(rows, call.threadsFor(y.size * info.filterHeight * info.filterWidth * 2))
    backend.rt.run(
      'max_pool_f32',
      parts.map(([m0, m1]) => [px, y.ptr, geo, m0, m1]),
    )
    return call.result(y)
  } finally {
    call.finish()
  }
})
