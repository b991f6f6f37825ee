// Canvas pixels -> the model's top 3 digits, through @mnist/model's MNIST-style preprocessing and predict().
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { EmptyImageError, predict, preprocessImage } from '@mnist/model'

export interface Guess {
  digit: number
  probability: number
}

export interface Classification {
  /** Best first; empty for a blank canvas. */
  top: Guess[]
  /** The 28x28 image the model saw (0..255, white digit on black). */
  input: Uint8Array | undefined
}

export function classify(model: LayersModel, pixels: ImageData): Classification {
  let input: Uint8Array
  try {
    input = preprocessImage({ data: pixels.data, width: pixels.width, height: pixels.height, channels: 4 })
  } catch (err) {
    if (err instanceof EmptyImageError) return { top: [], input: undefined }
    throw err
  }
  const [prediction] = predict(model, input)
  const top = prediction.probabilities
    .map((probability, digit) => ({ digit, probability }))
    .sort((a, b) => b.probability - a.probability)
    .slice(0, 3)
  return { top, input }
}

/**
 * One prediction on a black 28x28 image (no preprocessing, which would reject a blank image): compiles and warms
 * the kernels. Returns the predicted digit, which only says that predict() ran.
 */
export function warmUp(model: LayersModel): number {
  const [prediction] = predict(model, new Uint8Array(28 * 28))
  return prediction.digit
}
