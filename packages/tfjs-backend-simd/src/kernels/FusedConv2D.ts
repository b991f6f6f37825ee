import { FusedConv2D, util, type FusedConv2DAttrs, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core'
import { Call } from './_call'
import { convSupported } from './_conv'
import { activationCode } from './_elementwise'
import { wasmKernel, type Inputs } from './_fallback'
import { conv2dInfo, runConv2D } from './Conv2D'

/** tf.layers' conv2d runs as FusedConv2D: conv, then bias and activation in one pass over the output. */
export const fusedConv2DConfig: KernelConfig = wasmKernel(FusedConv2D, ({ inputs, backend, attrs }) => {
  const { x, filter } = inputs as unknown as Inputs<'x' | 'filter'>
  const { bias, preluActivationWeights } = inputs as { bias?: TensorInfo; preluActivationWeights?: TensorInfo }
  const a = attrs as unknown as FusedConv2DAttrs
  const act = activationCode(a.activation)
  if (x.dtype !== 'float32' || filter.dtype !== 'float32' || act === null || preluActivationWeights) return null
  const info = conv2dInfo(x, filter, a)
  if (!convSupported(info)) return null
  if (bias && (bias.dtype !== 'float32' || util.sizeFromShape(bias.shape) !== info.outChannels)) return null
  const y = runConv2D(backend, x, filter, info)
  if (!bias && act === activationCode('linear')) return y
  const call = new Call(backend)
  try {
    const py = backend.ptrOf(y.dataId) ?? call.in(y)
    const pb = bias ? call.in(bias) : 0
    const rows = util.sizeFromShape(y.shape) / info.outChannels
    backend.rt.run('bias_act_f32', [[py, pb, bias ? 1 : 0, info.outChannels, act, a.leakyreluAlpha ?? 0.2, 0, rows]])
    if (backend.ptrOf(y.dataId) !== undefined) return y
    // Unshared memory: y was copied out; copy the finished values back into a fresh tensor.
    const values = backend.rt.heap.f32().slice(py >> 2, (py >> 2) + rows * info.outChannels)
    backend.disposeIntermediateTensorInfo(y)
    return backend.makeTensorInfo(y.shape, 'float32', values)
  } finally {
    call.finish()
  }
})
