import type { LayersModel } from '@tensorflow/tfjs-layers'
import { argMaxRow, crossEntropyRow, fillNormalized, forward, plan } from './_inference'
import type { InferenceOptions, LabeledImages } from './_inference'
import { accuracyFromConfusion, confusionMatrix, perClassMetrics } from './metrics'
import type { ClassMetrics } from './metrics'

/** Options of `evaluate`. */
export type EvaluateOptions = InferenceOptions

/** What `evaluate` measured on a labelled set. */
export interface EvalResult {
  /** Number of images evaluated. */
  count: number
  /** Fraction of correct predictions, in [0, 1]. */
  accuracy: number
  /** Mean softmax cross-entropy (natural log) of the true labels. */
  loss: number
  /** `confusion[t][p]`: images of true class `t` predicted as `p` (rows true, columns predicted). */
  confusion: number[][]
  /** Precision / recall / F1 / support per class (see `perClassMetrics`). */
  perClass: ClassMetrics[]
  /** Indices (into the evaluated images) of the wrongly classified images, ascending. */
  misclassified: number[]
  /** The predicted class of every evaluated image. */
  predicted?: Uint8Array
}

/**
 * Runs `model` over the images in batches and measures accuracy, mean cross-entropy, the confusion matrix, per-class
 * precision / recall / F1 and the misclassified indices. Only one batch is ever on the backend at a time, and every
 * tensor is disposed, so memory does not grow with the dataset size.
 */
export async function evaluate(
  model: LayersModel,
  data: LabeledImages,
  options: EvaluateOptions = {},
): Promise<EvalResult> {
  const p = plan(model, data, options)
  const predicted = new Uint8Array(p.count)
  const input = new Float32Array(Math.min(p.batchSize, p.count) * p.pixels)
  let lossSum = 0
  for (let start = 0; start < p.count; start += p.batchSize) {
    const n = Math.min(p.batchSize, p.count - start)
    fillNormalized(p, data.images, start, n, input)
    const logits = await forward(model, p, input, n)
    for (let i = 0; i < n; i++) {
      predicted[start + i] = argMaxRow(logits, i, p.classes)
      lossSum += crossEntropyRow(logits, i, p.classes, data.labels[start + i]!)
    }
  }
  const labels = data.labels.subarray(0, p.count)
  const confusion = confusionMatrix(labels, predicted, p.classes)
  const misclassified: number[] = []
  for (let i = 0; i < p.count; i++) if (predicted[i] !== labels[i]) misclassified.push(i)
  return {
    count: p.count,
    accuracy: accuracyFromConfusion(confusion),
    loss: lossSum / p.count,
    confusion,
    perClass: perClassMetrics(confusion),
    misclassified,
    predicted,
  }
}
