import { backend_util, Conv2D, type Conv2DAttrs, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core'
import type { SimdBackend } from '../backend'
import type { KernelArgs } from '../runtime'
import { Call } from './_call'
import { blockRows, convFlops, convSupported, geometry } from './_conv'
import { wasmKernel, type Inputs } from './_fallback'

export function conv2dInfo(x: TensorInfo, filter: TensorInfo, attrs: Conv2DAttrs): backend_util.Conv2DInfo {
  const { strides, pad, dataFormat, dilations, dimRoundingMode } = attrs
  return backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    filter.shape as [number, number, number, number],
    strides,
    dilations,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  )
}

/** y = conv(x, filter) on the wasm kernel (callers checked convSupported). */
export function runConv2D(
  b: SimdBackend,
  x: TensorInfo,
  filter: TensorInfo,
  info: backend_util.Conv2DInfo,
): TensorInfo {
  const call = new Call(b)
  try {
    const px = call.in(x)
    const pw = call.in(filter)
    const y = call.out(info.outShape)
    const geo = geometry(call, info)
    const rows = info.batchSize * info.outHeight * info.outWidth
    const mb = blockRows(info)
    const k = info.filterHeight * info.filterWidth * info.inChannels
    const parts = call.split(rows, call.threadsFor(convFlops(info)), 4)
    const jobs: KernelArgs<'conv2d_f32'>[] = parts.map(([m0, m1]) => [
      px,
      pw,
      y.ptr,
      geo,
      m0,
      m1,
      call.scratch(mb * k),
      mb,
    ])
    b.rt.run('conv2d_f32', jobs)
    return call.result(y)
  } finally {
    call.finish()
  }
}

export const conv2DConfig: KernelConfig = wasmKernel(Conv2D, ({ inputs, backend, attrs }) => {
  const { x, filter } = inputs as unknown as Inputs<'x' | 'filter'>
  if (x.dtype !== 'float32' || filter.dtype !== 'float32') return null
  const info = conv2dInfo(x, filter, attrs as unknown as Conv2DAttrs)
  if (!convSupported(info)) return null
  return runConv2D(backend, x, filter, info)
})
