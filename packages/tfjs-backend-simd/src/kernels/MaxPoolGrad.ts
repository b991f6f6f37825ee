import { MaxPoolGrad, util, type KernelConfig, type MaxPoolGradAttrs } from '@tensorflow/tfjs-core'
import { Call } from './_call'
import { geometry } from './_conv'
import { wasmKernel, type Inputs } from './_fallback'
import { poolInfo } from './MaxPool'

export const maxPoolGradConfig: KernelConfig = wasmKernel(MaxPoolGrad, ({ inputs, backend, attrs }) => {
  const { dy, input } = inputs as unknown as Inputs<'dy' | 'input' | 'output'>
  if (dy.dtype !== 'float32' || input.dtype !== 'float32' || input.shape.length !== 4) return null
  const info = poolInfo(input.shape, attrs as unknown as MaxPoolGradAttrs)
  // The wasm kernel reads dy as [batch, outHeight, outWidth, channels] (see Conv2DBackpropInput.ts).
  if (!util.arraysEqual(dy.shape, info.outShape)) return null
  const call = new Call(backend)
  try {
    const pdy = call.in(dy)
    const px = call.in(input)
    const dx = call.out(input.shape)
    const geo = geometry(call, info)
    // Split by image: windows of one image may overlap, images never do.
    const parts = call.split(info.batchSize, call.threadsFor(dx.size * 4))
    backend.rt.run(
      'max_pool_grad_f32',
      parts.map(([n0, n1]) => [pdy, px, dx.ptr, geo, n0, n1]),
    )
    return call.result(dx)
  } finally {
    call.finish()
  }
})
