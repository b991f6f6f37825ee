import * as tf from '@tensorflow/tfjs-core'
import { UnsupportedKernelError } from '../errors'
import { backpropFilterInfo, type BackpropFilterAttrs } from './_backprop-filter'

/** The slice of tfjs-backend-cpu's `MathBackendCPU` used here (structural, so the class need not be imported). */
interface CpuBackendLike {
  readSync(dataId: tf.DataId): tf.backend_util.BackendValues
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: tf.backend_util.BackendValues): tf.TensorInfo
}

type KernelArgs = { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: tf.NamedAttrMap }

/**
 * `Conv2DBackpropFilter` for `cpu`, NHWC. The stock kernel reads every element through `TensorBuffer.get` and takes
 * over a minute per training step of the default model at batch 64; this one is the same sum in plain typed-array loops
 * (float64 accumulation, fixed order, so it is deterministic), a few hundred times faster.
 */
export function conv2DBackpropFilterCpu(args: KernelArgs, fallback?: tf.KernelFunc): tf.TensorInfo {
  const backend = args.backend as CpuBackendLike
  const x = args.inputs['x']!
  const dy = args.inputs['dy']!
  const attrs = args.attrs as unknown as BackpropFilterAttrs
  if (attrs.dataFormat !== 'NHWC' || x.dtype !== 'float32' || dy.dtype !== 'float32') {
    if (fallback) return fallback(args as Parameters<tf.KernelFunc>[0]) as tf.TensorInfo
    throw new UnsupportedKernelError(
      'Conv2DBackpropFilter',
      'cpu',
      `dataFormat ${attrs.dataFormat}, dtype ${x.dtype}/${dy.dtype}`,
    )
  }
  const info = backpropFilterInfo(x, attrs)
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info
  const { strideHeight, strideWidth } = info
  const top = info.padInfo.top
  const left = info.padInfo.left
  const xv = backend.readSync(x.dataId) as Float32Array
  const dyv = backend.readSync(dy.dataId) as Float32Array
  const acc = new Float64Array(filterHeight * filterWidth * inChannels * outChannels)
  for (let b = 0; b < batchSize; b++) {
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++) {
        const dyOff = ((b * outHeight + oh) * outWidth + ow) * outChannels
        for (let fh = 0; fh < filterHeight; fh++) {
          const ih = oh * strideHeight - top + fh
          if (ih < 0 || ih >= inHeight) continue
          for (let fw = 0; fw < filterWidth; fw++) {
            const iw = ow * strideWidth - left + fw
            if (iw < 0 || iw >= inWidth) continue
            const xOff = ((b * inHeight + ih) * inWidth + iw) * inChannels
            let wOff = (fh * filterWidth + fw) * inChannels * outChannels
            for (let ci = 0; ci < inChannels; ci++, wOff += outChannels) {
              const xval = xv[xOff + ci]!
              if (xval === 0) continue
              for (let co = 0; co < outChannels; co++) acc[wOff + co]! += xval * dyv[dyOff + co]!
            }
          }
        }
      }
    }
  }
  return backend.makeTensorInfo([...attrs.filterShape], 'float32', Float32Array.from(acc))
}

let registered = false

/** Replace `cpu`'s `Conv2DBackpropFilter` with the fast one (the stock kernel still serves NCHW). Idempotent. */
export function registerCpuTrainingKernels(): void {
  if (registered) return
  const stock = tf.getKernel(tf.Conv2DBackpropFilter, 'cpu')
  if (stock !== undefined) tf.unregisterKernel(tf.Conv2DBackpropFilter, 'cpu')
  tf.registerKernel({
    kernelName: tf.Conv2DBackpropFilter,
    backendName: 'cpu',
    kernelFunc: ((args: KernelArgs) => conv2DBackpropFilterCpu(args, stock?.kernelFunc)) as unknown as tf.KernelFunc,
  })
  registered = true
}
