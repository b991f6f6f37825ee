// Test accuracy and confusion matrix of a model, by @mnist/eval.
import type { LayersModel } from '@tensorflow/tfjs-layers'
import type { MnistSplit } from '@mnist/data'
import { evaluate } from '@mnist/eval'

export async function testModel(model: LayersModel, test: MnistSplit, limit: number) {
  const count = Math.min(limit, test.count)
  const result = await evaluate(model, {
    images: test.images.subarray(0, count * 784),
    labels: test.labels.subarray(0, count),
    count,
  })
  return { accuracy: result.accuracy, confusion: result.confusion, count }
}
