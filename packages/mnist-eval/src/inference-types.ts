// The public types of evaluate() and noiseRobustness()'s inputs (the plumbing that uses them is private).
import type { Normalization } from '@mnist/data/stats'

/** Images and labels: `images` holds `count * rows * cols` grayscale pixels (0..255), image after image, row-major. */
export interface LabeledImages {
  images: Uint8Array
  labels: Uint8Array
  count: number
  rows?: number
  cols?: number
}

/**
 * What the model outputs: raw `logits` (the @mnist/model convention), or `probabilities` (a softmax last layer).
 * `auto` reads the activation of the last layer.
 */
export type ModelOutputKind = 'auto' | 'logits' | 'probabilities'

/** Options shared by `evaluate` and `noiseRobustness`. */
export interface InferenceOptions {
  /** Images per forward pass (default 256). Peak memory grows with it; results do not depend on it. */
  batchSize?: number
  /** Input normalisation (default `MNIST_NORMALIZATION` from @mnist/data: mean 0.1307, std 0.3081;
   * pixels are fed as `(p / 255 - mean) / std`). */
  normalization?: Normalization
  /** Evaluate only the first `limit` images (default: all). */
  limit?: number
  /** How to read the model's output (default `auto`). */
  outputs?: ModelOutputKind
  /**
   * Run @mnist/model's `modelLogits`: the backend's fused inference where it has one (the `simd` backend) for a model
   * of @mnist/model's (built by `createModel` or loaded with its metadata); equal to `model.predict` to float
   * rounding. Default true; `false` always uses `model.predict`.
   */
  fused?: boolean
}
