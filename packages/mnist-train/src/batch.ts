import type { Rng } from '@mnist/data/stats'
import { affineWarp, sampleAffine, type AugmentationRanges } from './augment'
import { addPixelNoise, type PixelLevels } from './pixel-noise'
import type { LabelFormat } from './step-engine'

/** The training images (uint8, `rows x cols` each) and their labels. */
export interface BatchSource {
  images: Uint8Array
  labels: Uint8Array
  rows: number
  cols: number
}

/** A batch's buffers, reused from step to step (sized for the largest batch). */
export interface Batch {
  /** Normalised (or warped and normalised) images, float32 [size, rows, cols]. */
  images: Float32Array
  labels: Uint8Array
  /** One-hot labels [size, classes], with the `'oneHot'` label format (the tfjs step's loss needs them). */
  oneHot: Float32Array | undefined
}

/**
 * Fills a batch in plain JS: gathers the images of `order[start .. start + size)`, normalises each pixel
 * ((v / 255 - mean) / std, through a 256-entry table) or, with augmentation, warps and normalises in one pass.
 * The buffers are allocated once; a fill costs ~0.1 ms for 32 images (mostly reading 32 scattered images).
 */
export class BatchFiller {
  readonly batch: Batch
  private readonly lut = new Float32Array(256)
  private readonly warpScale: number
  private readonly warpBias: number
  private readonly levels: PixelLevels
  private readonly pixels: number

  constructor(
    private readonly source: BatchSource,
    maxSize: number,
    normalization: { mean: number; std: number },
    private readonly classes: number,
    labelFormat: LabelFormat,
  ) {
    this.pixels = source.rows * source.cols
    for (let v = 0; v < 256; v++) this.lut[v] = (v / 255 - normalization.mean) / normalization.std
    this.warpScale = 1 / (255 * normalization.std)
    this.warpBias = -normalization.mean / normalization.std
    this.levels = { black: this.lut[0]!, white: this.lut[255]! }
    this.batch = {
      images: new Float32Array(maxSize * this.pixels),
      labels: new Uint8Array(maxSize),
      oneHot: labelFormat === 'oneHot' ? new Float32Array(maxSize * classes) : undefined,
    }
  }

  /**
   * Fills the first `size` entries of the batch with the examples `order[start + k]`. With `augment`, each image gets a
   * random affine transform drawn from `ranges` with `random` (four draws per image, in order), then, when
   * `ranges.noise` > 0, pixel noise drawn from `noise` (its own stream, so the transforms do not depend on it).
   */
  fill(
    order: Uint32Array,
    start: number,
    size: number,
    augment?: { random: () => number; ranges: AugmentationRanges; noise?: Rng },
  ): void {
    const { images: src, labels: srcLabels, rows, cols } = this.source
    const { images, labels, oneHot } = this.batch
    const pixels = this.pixels
    const lut = this.lut
    if (oneHot) oneHot.fill(0, 0, size * this.classes)
    for (let k = 0; k < size; k++) {
      const index = order[start + k]!
      const label = srcLabels[index]!
      labels[k] = label
      if (oneHot) oneHot[k * this.classes + label] = 1
      const from = index * pixels
      const to = k * pixels
      if (augment) {
        const params = sampleAffine(augment.random, augment.ranges, rows, cols)
        affineWarp(src, from, rows, cols, params, images, to, this.warpScale, this.warpBias)
        if (augment.noise && augment.ranges.noise > 0) {
          addPixelNoise(images, to, pixels, augment.noise, augment.ranges, this.levels)
        }
      } else {
        for (let p = 0; p < pixels; p++) images[to + p] = lut[src[from + p]!]!
      }
    }
  }
}
