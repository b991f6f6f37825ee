import { EmptyImageError, InputShapeError } from './errors'

/** Raw decoded pixels of any size, e.g. from a PNG decoder: `channels` bytes a pixel, row-major. */
export interface RawImage {
  data: Uint8Array | Uint8ClampedArray
  width: number
  height: number
  /** 1 gray, 2 gray + alpha, 3 RGB, 4 RGBA. */
  channels: 1 | 2 | 3 | 4
}

const SIDE = 28
const BOX = 20
/** Target of the centre of mass, in pixel-index coordinates (MNIST: (14, 14)). */
const CENTRE = 14

/**
 * Convert an image of any size to the MNIST convention, as a 28x28 `Uint8Array` (0..255, row-major):
 * 1. grayscale (luminance 0.299 R + 0.587 G + 0.114 B), alpha composited over white;
 * 2. inverted when the background is light (mean of the border pixels above 127.5), so the digit is white on black;
 * 3. background level (median border value) subtracted and contrast stretched to 0..255;
 * 4. cropped to the bounding box of the pixels brighter than 10 %;
 * 5. longer side scaled to 20 px, aspect ratio kept (area averaging when shrinking, bilinear when enlarging);
 * 6. pasted into 28x28 so that the centre of mass lands on pixel (14, 14) (integer shift, as MNIST did).
 * Pure JavaScript; no tfjs needed. Throws `InputShapeError` for inconsistent sizes and `EmptyImageError` for
 * an image without a visible digit.
 */
export function preprocessImage(image: RawImage): Uint8Array {
  checkImage(image)
  const { width, height } = image
  const gray = grayOverWhite(image)
  stretchContrast(gray, width, height)
  const crop = boundingBox(gray, width, height)
  const { box, ow, oh } = scaleToBox(gray, width, crop)
  return pasteCentred(box, ow, oh)
}

/** Sizes must be positive integers and agree with the data length (`InputShapeError` otherwise). */
function checkImage({ data, width, height, channels }: RawImage): void {
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InputShapeError('image', 'positive integer width and height', `${width}x${height}`)
  }
  if (![1, 2, 3, 4].includes(channels))
    throw new InputShapeError('image', 'channels 1, 2, 3 or 4', `channels ${channels}`)
  if (data.length !== width * height * channels) {
    throw new InputShapeError(
      'image data',
      `${width * height * channels} bytes (${width}x${height}x${channels})`,
      `${data.length} bytes`,
    )
  }
}

/** 1. grayscale, alpha composited over white. */
function grayOverWhite({ data, width, height, channels }: RawImage): Float32Array {
  const n = width * height
  const gray = new Float32Array(n)
  for (let i = 0; i < n; i++) {
    const j = i * channels
    let v: number
    let a = 255
    if (channels <= 2) {
      v = data[j]!
      if (channels === 2) a = data[j + 1]!
    } else {
      v = 0.299 * data[j]! + 0.587 * data[j + 1]! + 0.114 * data[j + 2]!
      if (channels === 4) a = data[j + 3]!
    }
    gray[i] = (v * a + 255 * (255 - a)) / 255
  }
  return gray
}

/** The values of the outermost ring of pixels (each pixel once, also for 1-pixel-wide or -high images). */
function borderPixels(gray: Float32Array, width: number, height: number): number[] {
  const border: number[] = []
  for (let x = 0; x < width; x++) {
    border.push(gray[x]!)
    if (height > 1) border.push(gray[(height - 1) * width + x]!)
  }
  for (let y = 1; y < height - 1; y++) {
    border.push(gray[y * width]!)
    if (width > 1) border.push(gray[y * width + width - 1]!)
  }
  return border
}

/**
 * 2. invert on a light background, 3. background to 0 and digit to 255, in place; `EmptyImageError` when the
 * brightest pixel is too close to the background for a digit to be there.
 */
function stretchContrast(gray: Float32Array, width: number, height: number): void {
  const n = gray.length
  const border = borderPixels(gray, width, height)
  const borderMean = border.reduce((s, v) => s + v, 0) / border.length
  if (borderMean > 127.5) {
    for (let i = 0; i < n; i++) gray[i] = 255 - gray[i]!
    for (let i = 0; i < border.length; i++) border[i] = 255 - border[i]!
  }
  border.sort((a, b) => a - b)
  const bg = border[Math.floor(border.length / 2)]!
  let max = 0
  for (let i = 0; i < n; i++) if (gray[i]! > max) max = gray[i]!
  const contrast = max - bg
  if (contrast < 16) throw new EmptyImageError(width, height, Math.max(0, contrast))
  for (let i = 0; i < n; i++) gray[i] = Math.max(0, (gray[i]! - bg) / contrast) * 255
}

interface Crop {
  x0: number
  y0: number
  cw: number
  ch: number
}

/** 4. the bounding box of the pixels brighter than 10 %. */
function boundingBox(gray: Float32Array, width: number, height: number): Crop {
  const threshold = 0.1 * 255
  let x0 = width
  let y0 = height
  let x1 = -1
  let y1 = -1
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      if (gray[y * width + x]! > threshold) {
        if (x < x0) x0 = x
        if (x > x1) x1 = x
        if (y < y0) y0 = y
        if (y > y1) y1 = y
      }
    }
  }
  return { x0, y0, cw: x1 - x0 + 1, ch: y1 - y0 + 1 }
}

/** 5. the crop with its longer side scaled to 20 px, as an `oh` x `ow` image. */
function scaleToBox(
  gray: Float32Array,
  width: number,
  { x0, y0, cw, ch }: Crop,
): { box: Float32Array; ow: number; oh: number } {
  const scale = BOX / Math.max(cw, ch)
  const ow = Math.max(1, Math.min(BOX, Math.round(cw * scale)))
  const oh = Math.max(1, Math.min(BOX, Math.round(ch * scale)))
  const wx = resampleWeights(cw, ow)
  const wy = resampleWeights(ch, oh)
  // separable: rows first (ch x ow), then columns (oh x ow)
  const tmp = new Float32Array(ch * ow)
  for (let y = 0; y < ch; y++) {
    const row = (y0 + y) * width + x0
    for (let ox = 0; ox < ow; ox++) {
      let s = 0
      for (const [sx, w] of wx[ox]!) s += w * gray[row + sx]!
      tmp[y * ow + ox] = s
    }
  }
  const box = new Float32Array(oh * ow)
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      let s = 0
      for (const [sy, w] of wy[oy]!) s += w * tmp[sy * ow + ox]!
      box[oy * ow + ox] = s
    }
  }
  return { box, ow, oh }
}

/** 6. paste into 28x28 with the centre of mass on (14, 14), rounded to bytes. */
function pasteCentred(box: Float32Array, ow: number, oh: number): Uint8Array {
  let mass = 0
  let mx = 0
  let my = 0
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      const v = box[y * ow + x]!
      mass += v
      mx += v * x
      my += v * y
    }
  }
  const cx = mass > 0 ? mx / mass : (ow - 1) / 2
  const cy = mass > 0 ? my / mass : (oh - 1) / 2
  const left = clamp(Math.round(CENTRE - cx), 0, SIDE - ow)
  const top = clamp(Math.round(CENTRE - cy), 0, SIDE - oh)
  const out = new Uint8Array(SIDE * SIDE)
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      out[(top + y) * SIDE + left + x] = clamp(Math.round(box[y * ow + x]!), 0, 255)
    }
  }
  return out
}

/** For each output index, the (source index, weight) pairs; weights sum to 1. */
function resampleWeights(inSize: number, outSize: number): Array<Array<[number, number]>> {
  const ratio = inSize / outSize
  const out: Array<Array<[number, number]>> = []
  for (let o = 0; o < outSize; o++) {
    const taps: Array<[number, number]> = []
    if (ratio >= 1) {
      // area: the output pixel covers [o * ratio, (o + 1) * ratio) of the source
      const a = o * ratio
      const b = a + ratio
      for (let i = Math.floor(a); i < Math.min(inSize, Math.ceil(b)); i++) {
        const w = Math.min(b, i + 1) - Math.max(a, i)
        if (w > 0) taps.push([i, w / ratio])
      }
    } else {
      // bilinear between pixel centres
      const c = Math.min(inSize - 1, Math.max(0, (o + 0.5) * ratio - 0.5))
      const i = Math.floor(c)
      const f = c - i
      taps.push([i, 1 - f])
      if (f > 0 && i + 1 < inSize) taps.push([i + 1, f])
    }
    out.push(taps)
  }
  return out
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v
}
