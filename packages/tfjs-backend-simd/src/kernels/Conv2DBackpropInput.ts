import {
  backend_util,
  Conv2DBackpropInput,
  util,
  type Conv2DBackpropInputAttrs,
  type KernelConfig,
} from '@tensorflow/tfjs-core'
import type { KernelArgs } from '../runtime'
import { Call } from './_call'
import { blockRows, convFlops, convSupported, geometry } from './_conv'
import { wasmKernel, type Inputs } from './_fallback'

export const conv2DBackpropInputConfig: KernelConfig = wasmKernel(Conv2DBackpropInput, ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as unknown as Inputs<'dy' | 'filter'>
  const { inputShape, strides, pad, dataFormat, dimRoundingMode } = attrs as unknown as Conv2DBackpropInputAttrs
  if (dy.dtype !== 'float32' || filter.dtype !== 'float32') return null
  const info = backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    backend_util.convertConv2DDataFormat(dataFormat),
  )
  // The wasm kernel reads dy as [batch, outHeight, outWidth, outChannels]; tfjs accepts a dy of another spatial size
  // (conv2dTranspose with an outputShape that does not match x), which the cpu kernel reads by its own strides.
  if (!convSupported(info) || !util.arraysEqual(dy.shape, info.outShape)) return null
  const call = new Call(backend)
  try {
    const pdy = call.in(dy)
    const pw = call.in(filter)
    const k = info.filterHeight * info.filterWidth * info.inChannels
    const wt = call.scratch(k * info.outChannels)
    backend.rt.run('transpose_f32', [[pw, wt, k, info.outChannels]])
    const dx = call.out(inputShape)
    const geo = geometry(call, info)
    const mb = blockRows(info)
    // Split by image: col2im of neighbouring rows adds into the same dx pixels.
    const parts = call.split(info.batchSize, call.threadsFor(convFlops(info)))
    const jobs: KernelArgs<'conv2d_backprop_input_f32'>[] = parts.map(([n0, n1]) => [
      pdy,
      wt,
      dx.ptr,
      geo,
      n0,
      n1,
      call.scratch(mb * k),
      mb,
    ])
    backend.rt.run('conv2d_backprop_input_f32', jobs)
    return call.result(dx)
  } finally {
    call.finish()
  }
})
