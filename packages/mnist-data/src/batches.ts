import { normalizationFor, type DatasetName } from './datasets'
import { OptionError } from './errors'
import { lookupTable, type Normalization } from './normalization'
import { mulberry32 } from './random'

function checkCount(name: string, value: number, min: number): void {
  if (!Number.isSafeInteger(value) || value < min || value > 0xffffffff) {
    throw new OptionError(name, `expected an integer from ${min} to 4294967295, got ${String(value)}`)
  }
}

/**
 * A permutation of 0..count-1: Fisher–Yates driven by mulberry32(seed). Same (count, seed), same order, everywhere.
 * Training uses it for each epoch's order (e.g. seed + epoch).
 */
export function shuffledIndices(count: number, seed: number): Uint32Array {
  checkCount('count', count, 0)
  if (!Number.isSafeInteger(seed)) throw new OptionError('seed', `expected an integer, got ${String(seed)}`)
  const out = new Uint32Array(count)
  for (let i = 0; i < count; i++) out[i] = i
  const random = mulberry32(seed)
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1))
    const t = out[i]!
    out[i] = out[j]!
    out[j] = t
  }
  return out
}

export interface BatchOptions {
  /** count*rows*cols pixels, as MnistSplit.images. */
  images: Uint8Array
  /** count labels, as MnistSplit.labels. */
  labels: Uint8Array
  batchSize: number
  /** Shuffle with shuffledIndices(count, seed); default false (file order). */
  shuffle?: boolean
  /** Seed for the shuffle; default 0. */
  seed?: number
  /** Leave out a last batch smaller than batchSize; default false. */
  dropLast?: boolean
  /** Picks the normalisation constants (default 'mnist'); `normalization` wins when both are given. */
  dataset?: DatasetName
  normalization?: Normalization
}

export interface Batch {
  /** size*rows*cols normalised pixels. */
  images: Float32Array
  labels: Uint8Array
  /** Which samples of the split are in this batch, in order. */
  indices: Uint32Array
  size: number
}

/**
 * Batches of normalised images and their labels. Every sample appears exactly once per pass (the last batch is
 * smaller unless dropLast). The returned iterable restarts from the first batch, in the same order, on each loop.
 */
export function batches(options: BatchOptions): Iterable<Batch> {
  const { images, labels, batchSize, shuffle = false, seed = 0, dropLast = false } = options
  const count = labels.length
  checkCount('batchSize', batchSize, 1)
  if (count === 0 || images.length % count !== 0) {
    throw new OptionError(
      'images',
      `expected a whole number of images per label, got ${images.length} pixels for ${count} labels`,
    )
  }
  const pixels = images.length / count
  const table = lookupTable(options.normalization ?? normalizationFor(options.dataset ?? 'mnist'))
  const order = shuffle ? shuffledIndices(count, seed) : undefined
  return {
    *[Symbol.iterator](): Iterator<Batch> {
      for (let start = 0; start < count; start += batchSize) {
        const size = Math.min(batchSize, count - start)
        if (size < batchSize && dropLast) return
        const indices = new Uint32Array(size)
        const batchImages = new Float32Array(size * pixels)
        const batchLabels = new Uint8Array(size)
        for (let k = 0; k < size; k++) {
          const index = order ? order[start + k]! : start + k
          indices[k] = index
          batchLabels[k] = labels[index]!
          const from = index * pixels
          const to = k * pixels
          for (let p = 0; p < pixels; p++) batchImages[to + p] = table[images[from + p]!]!
        }
        yield { images: batchImages, labels: batchLabels, indices, size }
      }
    },
  }
}
