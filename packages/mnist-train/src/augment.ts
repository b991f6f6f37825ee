import { InvalidTrainConfigError } from './errors'
import type { PixelNoiseRanges } from './pixel-noise'

/**
 * Ranges of the random affine transform (torchvision's `RandomAffine(degrees, translate, scale)`), and of the pixel
 * noise some images get after it (off unless `noise` > 0).
 */
export interface AugmentationRanges extends PixelNoiseRanges {
  /** Rotation drawn uniformly from [-degrees, +degrees]. */
  degrees: number
  /** Shift drawn uniformly from [-translate, +translate] x the image width (x) and height (y). */
  translate: number
  /** Scale factor drawn uniformly from [scaleMin, scaleMax]. */
  scaleMin: number
  scaleMax: number
}

/**
 * The original PyTorch project's ranges: rotate +-7 degrees, shift +-7 %, scale 0.93-1.07; no pixel noise (when
 * `noise` is raised: Gaussian sigma up to 0.5, salt-and-pepper up to 20 %).
 */
export const DEFAULT_AUGMENTATION: Readonly<AugmentationRanges> = Object.freeze({
  degrees: 7,
  translate: 0.07,
  scaleMin: 0.93,
  scaleMax: 1.07,
  noise: 0,
  noiseSigma: 0.5,
  noiseSaltPepper: 0.2,
})

/** One concrete transform. Rotation is counter-clockwise as displayed (y axis pointing down), about the centre. */
export interface AffineParams {
  /** Degrees, counter-clockwise. */
  angle: number
  /** Pixels, positive = right. */
  tx: number
  /** Pixels, positive = down. */
  ty: number
  scale: number
}

export const IDENTITY_AFFINE: Readonly<AffineParams> = Object.freeze({ angle: 0, tx: 0, ty: 0, scale: 1 })

/** Check ranges once (throws `InvalidTrainConfigError` naming the field). */
export function validateAugmentation(ranges: AugmentationRanges, prefix = 'augmentation'): void {
  const { degrees, translate, scaleMin, scaleMax } = ranges
  if (!(Number.isFinite(degrees) && degrees >= 0 && degrees <= 180)) {
    throw new InvalidTrainConfigError(`${prefix}.degrees`, 'a number in [0, 180]', degrees)
  }
  if (!(Number.isFinite(translate) && translate >= 0 && translate <= 1)) {
    throw new InvalidTrainConfigError(`${prefix}.translate`, 'a fraction in [0, 1]', translate)
  }
  if (!(Number.isFinite(scaleMin) && scaleMin > 0)) {
    throw new InvalidTrainConfigError(`${prefix}.scaleMin`, 'a number > 0', scaleMin)
  }
  if (!(Number.isFinite(scaleMax) && scaleMax >= scaleMin)) {
    throw new InvalidTrainConfigError(`${prefix}.scaleMax`, `a number >= scaleMin (${scaleMin})`, scaleMax)
  }
  fraction(`${prefix}.noise`, ranges.noise)
  if (!(Number.isFinite(ranges.noiseSigma) && ranges.noiseSigma >= 0 && ranges.noiseSigma <= 10)) {
    throw new InvalidTrainConfigError(`${prefix}.noiseSigma`, 'a number in [0, 10]', ranges.noiseSigma)
  }
  fraction(`${prefix}.noiseSaltPepper`, ranges.noiseSaltPepper)
}

function fraction(option: string, value: unknown): void {
  if (!(typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= 1)) {
    throw new InvalidTrainConfigError(option, 'a fraction in [0, 1]', value)
  }
}

/** Draw one transform from `ranges` with `random` (uniform [0, 1)); always four draws, in a fixed order. */
export function sampleAffine(
  random: () => number,
  ranges: AugmentationRanges,
  rows: number,
  cols: number,
): AffineParams {
  const angle = (random() * 2 - 1) * ranges.degrees
  const tx = (random() * 2 - 1) * ranges.translate * cols
  const ty = (random() * 2 - 1) * ranges.translate * rows
  const scale = ranges.scaleMin + random() * (ranges.scaleMax - ranges.scaleMin)
  return { angle, tx, ty, scale }
}

/**
 * Warp one `rows x cols` uint8 image (read at `src[srcOffset..]`) with `params`, bilinear, zeros outside, and write
 * `value * outScale + outBias` as float32 into `dst[dstOffset..]` (so normalisation is fused into the same pass).
 * The identity transform reproduces the input exactly.
 */
export function affineWarp(
  src: Uint8Array,
  srcOffset: number,
  rows: number,
  cols: number,
  params: AffineParams,
  dst: Float32Array,
  dstOffset: number,
  outScale = 1,
  outBias = 0,
): void {
  // Inverse map: source = R(-angle) (out - centre - t) / scale + centre, pixel centres at integer coordinates.
  const theta = (params.angle * Math.PI) / 180
  const cos = Math.cos(theta) / params.scale
  const sin = Math.sin(theta) / params.scale
  const cx = (cols - 1) / 2
  const cy = (rows - 1) / 2
  const ox = cx + params.tx
  const oy = cy + params.ty
  // sx = cos*(x-ox) - sin*(y-oy) + cx ; sy = sin*(x-ox) + cos*(y-oy) + cy
  const maxX = cols - 1
  const maxY = rows - 1
  for (let y = 0; y < rows; y++) {
    const dy = y - oy
    let sx = -cos * ox - sin * dy + cx
    let sy = -sin * ox + cos * dy + cy
    let o = dstOffset + y * cols
    for (let x = 0; x < cols; x++, sx += cos, sy += sin, o++) {
      const x0 = Math.floor(sx)
      const y0 = Math.floor(sy)
      if (x0 < -1 || y0 < -1 || x0 > maxX || y0 > maxY) {
        dst[o] = outBias
        continue
      }
      const fx = sx - x0
      const fy = sy - y0
      let value: number
      if (x0 >= 0 && y0 >= 0 && x0 < maxX && y0 < maxY) {
        const i = srcOffset + y0 * cols + x0
        const top = src[i]! + (src[i + 1]! - src[i]!) * fx
        const bottom = src[i + cols]! + (src[i + cols + 1]! - src[i + cols]!) * fx
        value = top + (bottom - top) * fy
      } else {
        const p00 = pixel(src, srcOffset, rows, cols, x0, y0)
        const p10 = pixel(src, srcOffset, rows, cols, x0 + 1, y0)
        const p01 = pixel(src, srcOffset, rows, cols, x0, y0 + 1)
        const p11 = pixel(src, srcOffset, rows, cols, x0 + 1, y0 + 1)
        const top = p00 + (p10 - p00) * fx
        const bottom = p01 + (p11 - p01) * fx
        value = top + (bottom - top) * fy
      }
      dst[o] = value * outScale + outBias
    }
  }
}

function pixel(src: Uint8Array, offset: number, rows: number, cols: number, x: number, y: number): number {
  return x < 0 || y < 0 || x >= cols || y >= rows ? 0 : src[offset + y * cols + x]!
}

/** Warp one uint8 image and round back to uint8 (for previews such as `mnist augment-demo`). */
export function augmentImage(image: Uint8Array, rows: number, cols: number, params: AffineParams): Uint8Array {
  if (image.length !== rows * cols) {
    throw new InvalidTrainConfigError('image', `${rows * cols} pixels (${rows}x${cols})`, `${image.length} pixels`)
  }
  const tmp = new Float32Array(rows * cols)
  affineWarp(image, 0, rows, cols, params, tmp, 0)
  const out = new Uint8Array(rows * cols)
  for (let i = 0; i < out.length; i++) out[i] = Math.min(255, Math.max(0, Math.round(tmp[i]!)))
  return out
}
