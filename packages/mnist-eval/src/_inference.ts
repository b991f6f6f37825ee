// Shared plumbing of evaluate() and noiseRobustness(): checks the data against the model, builds one normalised
// batch at a time and runs it, so memory stays bounded by the batch size whatever the dataset size.
import * as tf from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { MNIST_NORMALIZATION, type Normalization } from '@mnist/data/stats'
import { modelLogits } from '@mnist/model'
import { DatasetShapeError, InvalidOptionError, ModelShapeError, describe } from './errors'
import type { InferenceOptions, LabeledImages } from './inference-types'

export type { InferenceOptions, LabeledImages, ModelOutputKind } from './inference-types'

export const DEFAULT_BATCH_SIZE = 256

/** Everything needed to feed one dataset to one model. */
export interface Plan {
  count: number
  rows: number
  cols: number
  pixels: number
  classes: number
  batchSize: number
  inputShape: (batch: number) => number[]
  lut: Float32Array
  normalization: Normalization
  logSoftmaxOutputs: boolean
  /** `InferenceOptions.fused` (default true). */
  fused: boolean
}

export function plan(model: LayersModel, data: LabeledImages, options: InferenceOptions = {}): Plan {
  const { inputShape, classes } = modelShape(model)
  const batchSize = options.batchSize ?? DEFAULT_BATCH_SIZE
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new InvalidOptionError('batchSize', 'a positive integer', batchSize)
  }
  const normalization = options.normalization ?? MNIST_NORMALIZATION
  if (
    typeof normalization !== 'object' ||
    normalization === null ||
    !Number.isFinite(normalization.mean) ||
    !Number.isFinite(normalization.std) ||
    !(normalization.std > 0)
  ) {
    throw new InvalidOptionError('normalization', '{ mean: finite number, std: number > 0 }', normalization)
  }
  const outputs = options.outputs ?? 'auto'
  if (outputs !== 'auto' && outputs !== 'logits' && outputs !== 'probabilities') {
    throw new InvalidOptionError('outputs', '"auto", "logits" or "probabilities"', outputs)
  }

  if (typeof data !== 'object' || data === null)
    throw new DatasetShapeError(`expected { images, labels, count }, found ${describe(data)}`)
  const { images, labels, count } = data
  if (!(images instanceof Uint8Array)) {
    throw new DatasetShapeError(`images must be a Uint8Array of pixels 0..255, found ${describe(images)}`)
  }
  if (!(labels instanceof Uint8Array))
    throw new DatasetShapeError(`labels must be a Uint8Array, found ${describe(labels)}`)
  if (!Number.isInteger(count) || count < 1)
    throw new DatasetShapeError(`count must be a positive integer, found ${describe(count)}`)
  if (labels.length !== count) {
    throw new DatasetShapeError(`labels has ${labels.length} entries but count is ${count}`)
  }

  // Spatial size: the dataset's own, else the model's, else what the pixel count implies.
  const modelRows = inputShape.length === 4 ? inputShape[1] : null
  const modelCols = inputShape.length === 4 ? inputShape[2] : null
  const rows = data.rows ?? modelRows ?? Math.round(Math.sqrt(images.length / count))
  const cols = data.cols ?? modelCols ?? rows
  const pixels = rows * cols
  if (images.length !== count * pixels) {
    throw new DatasetShapeError(
      `images has ${images.length} bytes, expected count * rows * cols = ${count} * ${rows} * ${cols} = ${count * pixels}`,
    )
  }
  if (inputShape.length === 4) {
    if ((modelRows !== null && modelRows !== rows) || (modelCols !== null && modelCols !== cols)) {
      throw new DatasetShapeError(
        `images are ${rows}x${cols} but the model expects ${modelRows ?? '?'}x${modelCols ?? '?'} input`,
      )
    }
  } else if (inputShape[1] !== null && inputShape[1] !== pixels) {
    throw new DatasetShapeError(`images have ${pixels} pixels but the model expects ${inputShape[1]} inputs`)
  }
  for (let i = 0; i < count; i++) {
    if (labels[i]! >= classes) {
      throw new DatasetShapeError(
        `labels[${i}] is ${labels[i]} but the model has only ${classes} classes (0..${classes - 1})`,
      )
    }
  }

  let limited = count
  if (options.limit !== undefined) {
    if (!Number.isInteger(options.limit) || options.limit < 1) {
      throw new InvalidOptionError('limit', 'a positive integer', options.limit)
    }
    limited = Math.min(count, options.limit)
  }

  const lut = new Float32Array(256)
  for (let p = 0; p < 256; p++) lut[p] = (p / 255 - normalization.mean) / normalization.std

  return {
    count: limited,
    rows,
    cols,
    pixels,
    classes,
    batchSize,
    inputShape: inputShape.length === 4 ? (b) => [b, rows, cols, 1] : (b) => [b, pixels],
    lut,
    normalization,
    logSoftmaxOutputs: outputs === 'probabilities' || (outputs === 'auto' && lastActivation(model) === 'softmax'),
    fused: options.fused ?? true,
  }
}

/** Writes the normalised pixels of images [start, start + n) into `out` (length >= n * pixels). */
export function fillNormalized(p: Plan, images: Uint8Array, start: number, n: number, out: Float32Array): void {
  const offset = start * p.pixels
  const len = n * p.pixels
  const lut = p.lut
  for (let i = 0; i < len; i++) out[i] = lut[images[offset + i]!]!
}

/**
 * Runs one batch through the model and returns its logits as a Float32Array (n * classes). For a softmax model the
 * log-probabilities are returned instead (logits up to a per-image constant). Disposes every tensor it makes.
 */
export async function forward(model: LayersModel, p: Plan, input: Float32Array, n: number): Promise<Float32Array> {
  const x = tf.tensor(input.subarray(0, n * p.pixels), p.inputShape(n), 'float32')
  let y: tf.Tensor | tf.Tensor[] | undefined
  try {
    // A 28x28x1 model of @mnist/model's runs the backend's fused forward pass where there is one (simd).
    y =
      x.rank === 4
        ? modelLogits(model, x as tf.Tensor4D, { batchSize: n, fused: p.fused })
        : model.predict(x, { batchSize: n })
    if (Array.isArray(y)) throw new ModelShapeError(`expected a model with one output, found ${y.length} outputs`)
    const data = (await y.data()) as Float32Array
    if (data.length !== n * p.classes) {
      throw new ModelShapeError(`expected ${n * p.classes} output values for a batch of ${n}, found ${data.length}`)
    }
    if (p.logSoftmaxOutputs) {
      const out = new Float32Array(data.length)
      for (let i = 0; i < data.length; i++) out[i] = Math.log(Math.max(data[i]!, 1e-12))
      return out
    }
    return data
  } finally {
    x.dispose()
    if (y !== undefined) tf.dispose(y)
  }
}

/** Index of the largest value of row `row` (first one on ties, like tf.argMax). */
export function argMaxRow(values: Float32Array, row: number, classes: number): number {
  const base = row * classes
  let best = 0
  let bestValue = values[base]!
  for (let c = 1; c < classes; c++) {
    const v = values[base + c]!
    if (v > bestValue) {
      bestValue = v
      best = c
    }
  }
  return best
}

/** Softmax cross-entropy of one row of logits against `label`, computed stably in float64. */
export function crossEntropyRow(logits: Float32Array, row: number, classes: number, label: number): number {
  const base = row * classes
  let max = -Infinity
  for (let c = 0; c < classes; c++) max = Math.max(max, logits[base + c]!)
  let sum = 0
  for (let c = 0; c < classes; c++) sum += Math.exp(logits[base + c]! - max)
  return Math.log(sum) + max - logits[base + label]!
}

function modelShape(model: LayersModel): { inputShape: (number | null)[]; classes: number } {
  if (typeof model !== 'object' || model === null || typeof (model as { predict?: unknown }).predict !== 'function') {
    throw new ModelShapeError(`expected a tf.LayersModel, found ${describe(model)}`)
  }
  if (model.inputs.length !== 1 || model.outputs.length !== 1) {
    throw new ModelShapeError(
      `expected a model with one input and one output, found ${model.inputs.length} and ${model.outputs.length}`,
    )
  }
  const inputShape = model.inputs[0]!.shape
  const outputShape = model.outputs[0]!.shape
  const ok4 = inputShape.length === 4 && (inputShape[3] === 1 || inputShape[3] === null)
  const ok2 = inputShape.length === 2
  if (!ok4 && !ok2) {
    throw new ModelShapeError(
      `expected a model input of shape [batch, rows, cols, 1] or [batch, pixels], found [${inputShape.join(', ')}]`,
    )
  }
  const classes = outputShape[1]
  if (outputShape.length !== 2 || typeof classes !== 'number' || classes < 2) {
    throw new ModelShapeError(
      `expected a model output of shape [batch, classes] with classes >= 2, found [${outputShape.join(', ')}]`,
    )
  }
  return { inputShape, classes }
}

function lastActivation(model: LayersModel): string | undefined {
  const last = model.layers[model.layers.length - 1]
  if (!last) return undefined
  const activation = (last.getConfig() as { activation?: unknown }).activation
  return typeof activation === 'string' ? activation : undefined
}
