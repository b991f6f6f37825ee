import type { Rng } from '@mnist/data/stats'

/** Pixel noise added to some training images after the affine warp (the noise `@mnist/eval` measures robustness to). */
export interface PixelNoiseRanges {
  /** Probability that an image gets noise (0: none, the default, and no random draws at all). */
  noise: number
  /**
   * Largest Gaussian sigma, in normalised units as @mnist/eval's `noiseRobustness` adds it; a noisy image draws its
   * sigma uniformly from [0, noiseSigma].
   */
  noiseSigma: number
  /** Largest salt-and-pepper rate (fraction of pixels set to black or white); drawn uniformly from [0, rate]. */
  noiseSaltPepper: number
}

/** The normalised values of a black (0) and a white (255) pixel. */
export interface PixelLevels {
  black: number
  white: number
}

/**
 * Adds noise to one normalised image `images[offset .. offset + pixels)` with probability `ranges.noise`: Gaussian or
 * salt-and-pepper with equal odds (only the other when one's range is 0), its level drawn uniformly up to the range.
 * Three draws per image, then one per pixel (two per pair of pixels for Gaussian) when it gets noise.
 */
export function addPixelNoise(
  images: Float32Array,
  offset: number,
  pixels: number,
  rng: Rng,
  ranges: PixelNoiseRanges,
  levels: PixelLevels,
): void {
  const hit = rng.uniform()
  const kind = rng.uniform()
  const level = rng.uniform()
  if (hit >= ranges.noise) return
  const gaussian = ranges.noiseSaltPepper === 0 || (ranges.noiseSigma > 0 && kind < 0.5)
  const end = offset + pixels
  if (gaussian) {
    const sigma = level * ranges.noiseSigma
    for (let i = offset; i < end; i++) images[i] = images[i]! + sigma * rng.normal()
    return
  }
  const rate = level * ranges.noiseSaltPepper
  const half = rate / 2
  for (let i = offset; i < end; i++) {
    const u = rng.uniform()
    if (u < rate) images[i] = u < half ? levels.black : levels.white
  }
}
