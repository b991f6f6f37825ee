import { OptionError } from './errors'

/** Per-pixel statistics of the training images scaled to [0, 1]; inputs are normalised as (x/255 - mean) / std. */
export interface Normalization {
  mean: number
  std: number
}

/**
 * MNIST's training-set pixel mean and standard deviation (0.1307, 0.3081), the constants every package normalises
 * MNIST with (batches, training, evaluation, `@mnist/model`'s predict). Frozen.
 */
export const MNIST_NORMALIZATION: Readonly<Normalization> = Object.freeze({ mean: 0.1307, std: 0.3081 })

/** Fashion-MNIST's, computed over the 60,000 training images (0.28604, 0.35302), rounded. Frozen. */
export const FASHION_MNIST_NORMALIZATION: Readonly<Normalization> = Object.freeze({ mean: 0.286, std: 0.353 })

/** The 256-entry uint8 -> float32 table of (v/255 - mean) / std; checks the statistics first. */
export function lookupTable(stats: Normalization): Float32Array {
  if (!Number.isFinite(stats.mean) || !Number.isFinite(stats.std) || stats.std <= 0) {
    throw new OptionError(
      'normalization',
      `expected a finite mean and a std > 0, got mean ${String(stats.mean)}, std ${String(stats.std)}`,
    )
  }
  const table = new Float32Array(256)
  for (let v = 0; v < 256; v++) table[v] = (v / 255 - stats.mean) / stats.std
  return table
}

/**
 * Maps uint8 pixels to float32 (x/255 - mean) / std (MNIST constants by default). Writes into `out` when given
 * (it must have images.length elements) and returns it.
 */
export function normalizeImages(
  images: Uint8Array,
  out?: Float32Array,
  stats: Normalization = MNIST_NORMALIZATION,
): Float32Array {
  const target = out ?? new Float32Array(images.length)
  if (target.length !== images.length) {
    throw new OptionError('out', `expected a Float32Array of ${images.length} elements, got ${target.length}`)
  }
  const table = lookupTable(stats)
  for (let i = 0; i < images.length; i++) target[i] = table[images[i]!]!
  return target
}

/** Mean and standard deviation of the pixels scaled to [0, 1]; use it for a custom dataset's normalization. */
export function computeNormalization(images: Uint8Array): Normalization {
  if (images.length === 0) throw new OptionError('images', 'expected at least one pixel, got 0')
  const histogram = new Float64Array(256)
  for (let i = 0; i < images.length; i++) histogram[images[i]!]!++
  let sum = 0
  let squares = 0
  for (let v = 0; v < 256; v++) {
    const x = v / 255
    sum += histogram[v]! * x
    squares += histogram[v]! * x * x
  }
  const mean = sum / images.length
  return { mean, std: Math.sqrt(Math.max(0, squares / images.length - mean * mean)) }
}
