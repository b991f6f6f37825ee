import * as tf from '@tensorflow/tfjs-core'

/** The attributes tfjs passes to `Conv2DBackpropFilter`. */
export interface BackpropFilterAttrs {
  strides: [number, number] | number
  pad: 'valid' | 'same' | number | tf.backend_util.ExplicitPadding
  dataFormat: 'NHWC' | 'NCHW'
  dimRoundingMode?: 'floor' | 'round' | 'ceil'
  filterShape: [number, number, number, number]
}

/** Shapes, strides and padding of an NHWC `Conv2DBackpropFilter`, shared by the cpu and wasm kernels. */
export function backpropFilterInfo(x: tf.TensorInfo, attrs: BackpropFilterAttrs): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    x.shape as [number, number, number, number],
    attrs.filterShape,
    attrs.strides,
    1,
    attrs.pad,
    attrs.dimRoundingMode,
    false,
    'channelsLast',
  )
}
