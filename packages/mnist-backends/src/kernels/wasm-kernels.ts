import * as tf from '@tensorflow/tfjs-core'
import { UnsupportedKernelError } from '../errors'
import { backpropFilterInfo, type BackpropFilterAttrs } from './_backprop-filter'

/** The slice of tfjs-backend-wasm's `BackendWasm` this kernel uses (kept structural: no import of the class). */
interface WasmBackendLike {
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo
  typedArrayFromHeap(info: tf.TensorInfo): tf.TypedArray
  disposeData(dataId: tf.DataId, force?: boolean): boolean
}

/**
 * `Conv2DBackpropFilter` (the gradient of a conv with respect to its filter), which stock tfjs-backend-wasm 4.22 lacks,
 * so `conv2d` cannot be trained there. im2col in JS on the wasm heap, then the backend's own XNNPACK `BatchMatMul`:
 * dW[k, co] = sum_n col[n, k] * dy[n, co], with n over (batch, outRow, outCol) and k over (filterRow, filterCol, inChannel).
 */
export function conv2DBackpropFilterWasm(args: {
  inputs: tf.NamedTensorInfoMap
  backend: unknown
  attrs?: tf.NamedAttrMap
}): tf.TensorInfo {
  const backend = args.backend as WasmBackendLike
  const x = args.inputs['x']!
  const dy = args.inputs['dy']!
  const attrs = args.attrs as unknown as BackpropFilterAttrs
  if (attrs.dataFormat !== 'NHWC') {
    throw new UnsupportedKernelError(
      'Conv2DBackpropFilter',
      'wasm',
      `dataFormat "${attrs.dataFormat}" (only NHWC is implemented)`,
    )
  }
  if (x.dtype !== 'float32' || dy.dtype !== 'float32') {
    throw new UnsupportedKernelError('Conv2DBackpropFilter', 'wasm', `dtype ${x.dtype}/${dy.dtype} (only float32)`)
  }
  const info = backpropFilterInfo(x, attrs)
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, filterHeight, filterWidth } = info
  const { strideHeight, strideWidth, dilationHeight, dilationWidth } = info
  const top = info.padInfo.top
  const left = info.padInfo.left
  const rows = batchSize * outHeight * outWidth
  const k = filterHeight * filterWidth * inChannels

  // Allocate before taking heap views: an allocation may grow (and detach) the wasm memory.
  const col = backend.makeOutput([rows, k], 'float32')
  const colValues = backend.typedArrayFromHeap(col) as Float32Array
  const xValues = backend.typedArrayFromHeap(x) as Float32Array
  let r = 0
  for (let b = 0; b < batchSize; b++) {
    const xBatch = b * inHeight * inWidth * inChannels
    for (let oh = 0; oh < outHeight; oh++) {
      for (let ow = 0; ow < outWidth; ow++, r++) {
        let o = r * k
        for (let fh = 0; fh < filterHeight; fh++) {
          const ih = oh * strideHeight - top + fh * dilationHeight
          for (let fw = 0; fw < filterWidth; fw++) {
            const iw = ow * strideWidth - left + fw * dilationWidth
            if (ih < 0 || ih >= inHeight || iw < 0 || iw >= inWidth) {
              colValues.fill(0, o, o + inChannels)
            } else {
              const from = xBatch + (ih * inWidth + iw) * inChannels
              colValues.set(xValues.subarray(from, from + inChannels), o)
            }
            o += inChannels
          }
        }
      }
    }
  }

  const matMul = tf.getKernel(tf.BatchMatMul, 'wasm')
  if (matMul === undefined)
    throw new UnsupportedKernelError('Conv2DBackpropFilter', 'wasm', 'BatchMatMul kernel is not registered')
  const dy2d: tf.TensorInfo = { dataId: dy.dataId, shape: [rows, outChannels], dtype: 'float32' }
  const out = matMul.kernelFunc({
    inputs: { a: col, b: dy2d },
    backend: args.backend as tf.KernelBackend,
    attrs: { transposeA: true, transposeB: false },
  }) as tf.TensorInfo
  backend.disposeData(col.dataId)
  return { dataId: out.dataId, shape: [...attrs.filterShape], dtype: 'float32' }
}

/** Register the kernels this package adds to the `wasm` backend (idempotent). */
export function registerWasmTrainingKernels(): void {
  if (tf.getKernel(tf.Conv2DBackpropFilter, 'wasm') === undefined) {
    tf.registerKernel({
      kernelName: tf.Conv2DBackpropFilter,
      backendName: 'wasm',
      kernelFunc: conv2DBackpropFilterWasm as unknown as tf.KernelFunc,
    })
  }
}
