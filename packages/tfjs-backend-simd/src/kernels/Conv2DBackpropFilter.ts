import {
  backend_util,
  Conv2DBackpropFilter,
  util,
  type Conv2DBackpropFilterAttrs,
  type KernelConfig,
} from '@tensorflow/tfjs-core'
import type { KernelArgs } from '../runtime'
import { Call } from './_call'
import { blockRows, convFlops, convSupported, geometry } from './_conv'
import { wasmKernel, type Inputs } from './_fallback'

export const conv2DBackpropFilterConfig: KernelConfig = wasmKernel(
  Conv2DBackpropFilter,
  ({ inputs, backend, attrs }) => {
    const { x, dy } = inputs as unknown as Inputs<'x' | 'dy'>
    const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as Conv2DBackpropFilterAttrs
    if (x.dtype !== 'float32' || dy.dtype !== 'float32' || x.shape.length !== 4) return null
    const info = backend_util.computeConv2DInfo(
      x.shape as [number, number, number, number],
      filterShape,
      strides,
      1,
      pad,
      dimRoundingMode,
      false,
      backend_util.convertConv2DDataFormat(dataFormat),
    )
    // The wasm kernel reads dy as [batch, outHeight, outWidth, outChannels] (see Conv2DBackpropInput.ts).
    if (!convSupported(info) || !util.arraysEqual(dy.shape, info.outShape)) return null
    const call = new Call(backend)
    try {
      const px = call.in(x)
      const pdy = call.in(dy)
      const dw = call.out(filterShape)
      const geo = geometry(call, info)
      const rows = info.batchSize * info.outHeight * info.outWidth
      const mb = blockRows(info)
      const k = dw.size / info.outChannels
      const parts = call.split(rows, call.threadsFor(convFlops(info)), 4)
      // Thread 0 accumulates straight into dw; the others into partials summed afterwards.
      const jobs: KernelArgs<'conv2d_backprop_filter_f32'>[] = parts.map(([m0, m1], t) => [
        px,
        pdy,
        t === 0 ? dw.ptr : call.scratch(dw.size),
        geo,
        m0,
        m1,
        call.scratch(mb * k),
        mb,
      ])
      backend.rt.run('conv2d_backprop_filter_f32', jobs)
      for (let t = 1; t < jobs.length; t++) backend.rt.run('add_into_f32', [[dw.ptr, jobs[t]![2]!, dw.size]])
      return call.result(dw)
    } finally {
      call.finish()
    }
  },
)
