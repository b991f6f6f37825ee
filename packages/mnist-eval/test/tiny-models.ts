// Hand-made models whose outputs are known exactly, for tests. Each is Flatten -> Dense(classes) with weights set by
// hand, so logits = W^T x + b can be recomputed in plain JS.
import * as tf from '@tensorflow/tfjs-core'
import * as tfl from '@tensorflow/tfjs-layers'

export const PIXELS = 784

/** logits = kernel^T x + bias; `kernel` is PIXELS x classes, row-major (pixel j, class k at j * classes + k). */
export function linearModel(
  kernel: Float32Array,
  bias: number[],
  activation: 'linear' | 'softmax' = 'linear',
): tfl.LayersModel {
  const classes = bias.length
  const model = tfl.sequential({
    layers: [tfl.layers.flatten({ inputShape: [28, 28, 1] }), tfl.layers.dense({ units: classes, activation })],
  })
  const k = tf.tensor2d(kernel, [PIXELS, classes])
  const b = tf.tensor1d(bias)
  model.layers[1]!.setWeights([k, b])
  tf.dispose([k, b])
  return model
}

/** A model that ignores its input: logits = bias. */
export function constantModel(bias: number[], activation: 'linear' | 'softmax' = 'linear'): tfl.LayersModel {
  return linearModel(new Float32Array(PIXELS * bias.length), bias, activation)
}

/**
 * logits_k = k * m - k^2 / 2 where m is the mean normalised pixel: the predicted class is the k in 0..3 closest to m
 * (m of a constant image of value v is (v / 255 - mean) / std).
 */
export function nearestLevelModel(): tfl.LayersModel {
  const classes = 4
  const kernel = new Float32Array(PIXELS * classes)
  for (let j = 0; j < PIXELS; j++) for (let k = 0; k < classes; k++) kernel[j * classes + k] = k / PIXELS
  return linearModel(
    kernel,
    Array.from({ length: classes }, (_, k) => (-k * k) / 2),
  )
}

/** `count` constant images (all pixels = values[i]) and their labels. */
export function constantImages(
  values: number[],
  labels: number[],
): { images: Uint8Array; labels: Uint8Array; count: number; rows: number; cols: number } {
  const images = new Uint8Array(values.length * PIXELS)
  values.forEach((v, i) => images.fill(v, i * PIXELS, (i + 1) * PIXELS))
  return { images, labels: Uint8Array.from(labels), count: values.length, rows: 28, cols: 28 }
}
