import * as tfc from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { MNIST_NORMALIZATION, type Normalization } from '@mnist/data/stats'
import { InputRangeError, InputShapeError } from './errors'
import { modelLogits } from './fused-inference'

const SIDE = 28
const PIXELS = SIDE * SIDE

/** Grayscale pixels of one or more 28x28 images, row-major, `784 * n` values. */
export type PixelArray = Uint8Array | Uint8ClampedArray | Float32Array | Float64Array | readonly number[]

/** Anything shaped like the DOM's `ImageData`: RGBA (4 bytes a pixel) or grayscale (1 byte a pixel). */
export interface ImageDataLike {
  data: Uint8Array | Uint8ClampedArray
  width: number
  height: number
}

export type ImageInput = PixelArray | ImageDataLike

/**
 * One image or a batch:
 * - `Uint8Array` / `Uint8ClampedArray`: pixels 0..255, `784 * n` values;
 * - `Float32Array` / `Float64Array` / `number[]`: pixels in [0, 1] (pixel / 255, NOT normalised), `784 * n` values;
 * - `ImageDataLike` 28x28: RGBA -> luminance x alpha (transparent = black), or 1 byte a pixel;
 * - an array of any of the above (one image each);
 * - a `tf.Tensor` of shape [28,28], [28,28,1], [784], [n,28,28], [n,28,28,1] or [n,784]:
 *   int32 is read as 0..255, float32 as [0, 1].
 * Images follow the MNIST convention: white digit on black (use `preprocessImage` for anything else).
 */
export type PredictInput = ImageInput | readonly ImageInput[] | tfc.Tensor

export interface PredictOptions {
  /** `(x - mean) / std` applied to [0, 1] pixels. Default: the loaded model's metadata, else `MNIST_NORMALIZATION`.
   *  `null`: the input is already normalised (no range check, no normalisation). */
  normalization?: Normalization | null
  /** Images per forward pass (bounds memory); default 256. */
  batchSize?: number
  /**
   * Run the backend's fused inference when it has one (the `simd` backend of @mnist/backend-simd) and the model was
   * built by `createModel` or loaded with its metadata: one fused forward pass per batch, several times faster than
   * tfjs ops, equal to float rounding. Default true; `false` always uses `model.predict`.
   */
  fused?: boolean
}

export interface Prediction {
  /** The most probable digit, 0..9. */
  digit: number
  /** Softmax probabilities of the 10 digits (sum 1). */
  probabilities: number[]
}

const normalizations = new WeakMap<LayersModel, Normalization>()

/** @internal Remember the normalisation a loaded model was trained with. */
export function rememberNormalization(model: LayersModel, n: Normalization): void {
  normalizations.set(model, n)
}

/**
 * Convert any `PredictInput` into a normalised float32 tensor of shape [n, 28, 28, 1] (the caller disposes it).
 * Throws `InputShapeError` for a wrong size/shape and `InputRangeError` for values outside the documented range.
 */
export function toInputTensor(
  input: PredictInput,
  options: { normalization?: Normalization | null } = {},
): tfc.Tensor4D {
  const norm = options.normalization === undefined ? MNIST_NORMALIZATION : options.normalization
  if (input instanceof tfc.Tensor) return tensorInput(input, norm)
  const pixels = toUnitPixels(input, norm === null)
  if (norm !== null) {
    const scale = 1 / norm.std
    for (let i = 0; i < pixels.length; i++) pixels[i] = (pixels[i]! - norm.mean) * scale
  }
  return tfc.tensor4d(pixels, [pixels.length / PIXELS, SIDE, SIDE, 1], 'float32')
}

/** Predict the digit (and the 10 probabilities) of every image. Every intermediate tensor is disposed. */
export function predict(model: LayersModel, input: PredictInput, options: PredictOptions = {}): Prediction[] {
  const probs = probabilities(model, input, options)
  try {
    return toPredictions(probs.dataSync() as Float32Array, probs.shape[1]!)
  } finally {
    probs.dispose()
  }
}

/** Like `predict`, but reads the result with `await data()` (does not block the WebGL/WebGPU main thread). */
export async function predictAsync(
  model: LayersModel,
  input: PredictInput,
  options: PredictOptions = {},
): Promise<Prediction[]> {
  const probs = probabilities(model, input, options)
  try {
    return toPredictions((await probs.data()) as Float32Array, probs.shape[1]!)
  } finally {
    probs.dispose()
  }
}

function probabilities(model: LayersModel, input: PredictInput, options: PredictOptions): tfc.Tensor2D {
  const normalization =
    options.normalization === undefined ? (normalizations.get(model) ?? MNIST_NORMALIZATION) : options.normalization
  const batchSize = options.batchSize ?? 256
  checkModelInput(model)
  const x = toInputTensor(input, { normalization })
  return tfc.tidy(() => {
    try {
      const out = modelLogits(model, x, { batchSize, fused: options.fused })
      if (out.rank !== 2) throw new InputShapeError('model output', 'shape [n, classes]', `[${out.shape.join(', ')}]`)
      const last = model.layers[model.layers.length - 1]
      const alreadySoftmax = last?.getConfig().activation === 'softmax'
      return (alreadySoftmax ? out : tfc.softmax(out)) as tfc.Tensor2D
    } finally {
      x.dispose()
    }
  })
}

/** A model for other inputs would fail deep inside tfjs; say what it expects instead. */
function checkModelInput(model: LayersModel): void {
  const shape = model.inputs[0]?.shape ?? []
  const want = [null, SIDE, SIDE, 1]
  if (model.inputs.length !== 1 || shape.length !== 4 || shape.some((d, i) => i > 0 && d !== null && d !== want[i])) {
    const found = model.inputs.map((t) => `[${t.shape.map((d) => d ?? 'null').join(', ')}]`).join(' and ')
    throw new InputShapeError('model input', 'one input of shape [null, 28, 28, 1] (28x28 grayscale images)', found)
  }
}

function toPredictions(data: Float32Array, classes: number): Prediction[] {
  const out: Prediction[] = []
  for (let off = 0; off < data.length; off += classes) {
    const probabilities = Array.from(data.subarray(off, off + classes))
    let digit = 0
    for (let c = 1; c < classes; c++) if (probabilities[c]! > probabilities[digit]!) digit = c
    out.push({ digit, probabilities })
  }
  return out
}

function isImageDataLike(v: unknown): v is ImageDataLike {
  return (
    typeof v === 'object' &&
    v !== null &&
    !ArrayBuffer.isView(v) &&
    !Array.isArray(v) &&
    'data' in v &&
    'width' in v &&
    'height' in v
  )
}

/** Pixels in [0, 1] as a fresh Float32Array of length 784 * n. */
function toUnitPixels(input: ImageInput | readonly ImageInput[], skipRangeCheck: boolean): Float32Array {
  if (Array.isArray(input) && (input.length === 0 || typeof input[0] !== 'number')) {
    const images = input as readonly ImageInput[]
    if (images.length === 0) throw new InputShapeError('predict input', 'at least one image', 'an empty array')
    const out = new Float32Array(images.length * PIXELS)
    images.forEach((img, i) => {
      if (Array.isArray(img) && typeof img[0] !== 'number') {
        throw new InputShapeError(`image #${i}`, 'pixels or an ImageData-like object', 'a nested array')
      }
      const len = ArrayBuffer.isView(img) || Array.isArray(img) ? (img as PixelArray).length : PIXELS
      if (len !== PIXELS) throw new InputShapeError(`image #${i}`, `${PIXELS} pixels (28x28)`, `${len} values`)
      const px = toUnitPixels(img, skipRangeCheck)
      if (px.length !== PIXELS)
        throw new InputShapeError(`image #${i}`, `${PIXELS} pixels (28x28)`, `${px.length} values`)
      out.set(px, i * PIXELS)
    })
    return out
  }
  if (isImageDataLike(input)) return imageDataPixels(input)
  const arr = input as PixelArray
  if (!ArrayBuffer.isView(arr) && !Array.isArray(arr)) {
    throw new InputShapeError(
      'predict input',
      'pixels, an ImageData-like object, an array of images or a tf.Tensor',
      describe(arr),
    )
  }
  if (arr.length === 0 || arr.length % PIXELS !== 0) {
    throw new InputShapeError(
      'predict input',
      `784 values per 28x28 image (784 * n)`,
      `${arr.length} values${arr.length > PIXELS ? ` (${(arr.length / PIXELS).toFixed(2)} images)` : ''}`,
    )
  }
  if (arr instanceof Uint8Array || arr instanceof Uint8ClampedArray) {
    const out = new Float32Array(arr.length)
    for (let i = 0; i < arr.length; i++) out[i] = arr[i]! / 255
    return out
  }
  const out = Float32Array.from(arr as ArrayLike<number>)
  if (!skipRangeCheck)
    checkUnitRange(
      out,
      arr instanceof Float32Array ? 'Float32Array' : arr instanceof Float64Array ? 'Float64Array' : 'number[]',
    )
  return out
}

function checkUnitRange(px: Float32Array, what: string): void {
  let min = Infinity
  let max = -Infinity
  for (let i = 0; i < px.length; i++) {
    const v = px[i]!
    if (Number.isNaN(v)) throw new InputRangeError(what, 'in [0, 1] (pixel / 255)', `NaN at index ${i}`)
    if (v < min) min = v
    if (v > max) max = v
  }
  if (min < -1e-6 || max > 1 + 1e-6) {
    throw new InputRangeError(
      what,
      'in [0, 1] (pixel / 255)',
      `min ${min} and max ${max}${max > 1.5 ? ' (0..255 pixels belong in a Uint8Array)' : ''}${min < 0 ? ' (already normalised? pass normalization: null)' : ''}`,
    )
  }
}

function imageDataPixels(img: ImageDataLike): Float32Array {
  const { data, width, height } = img
  if (width !== SIDE || height !== SIDE) {
    throw new InputShapeError('ImageData', '28x28 (use preprocessImage() for other sizes)', `${width}x${height}`)
  }
  const out = new Float32Array(PIXELS)
  if (data.length === PIXELS * 4) {
    for (let i = 0; i < PIXELS; i++) {
      const j = i * 4
      const lum = 0.299 * data[j]! + 0.587 * data[j + 1]! + 0.114 * data[j + 2]!
      out[i] = (lum * data[j + 3]!) / (255 * 255)
    }
  } else if (data.length === PIXELS) {
    for (let i = 0; i < PIXELS; i++) out[i] = data[i]! / 255
  } else {
    throw new InputShapeError(
      'ImageData 28x28',
      `${PIXELS * 4} bytes (RGBA) or ${PIXELS} bytes (grayscale)`,
      `${data.length} bytes`,
    )
  }
  return out
}

function tensorInput(t: tfc.Tensor, norm: Normalization | null): tfc.Tensor4D {
  const s = t.shape
  let n: number
  if (
    (s.length === 2 && s[0] === SIDE && s[1] === SIDE) ||
    (s.length === 3 && s[0] === SIDE && s[1] === SIDE && s[2] === 1) ||
    (s.length === 1 && s[0] === PIXELS)
  ) {
    n = 1
  } else if (
    (s.length === 3 && s[1] === SIDE && s[2] === SIDE) ||
    (s.length === 4 && s[1] === SIDE && s[2] === SIDE && s[3] === 1) ||
    (s.length === 2 && s[1] === PIXELS)
  ) {
    n = s[0]!
  } else {
    throw new InputShapeError(
      'predict tensor',
      'shape [28,28], [28,28,1], [784], [n,28,28], [n,28,28,1] or [n,784]',
      `[${s.join(', ')}]`,
    )
  }
  if (n === 0) throw new InputShapeError('predict tensor', 'at least one image', `shape [${s.join(', ')}]`)
  if (t.dtype !== 'float32' && t.dtype !== 'int32') {
    throw new InputShapeError('predict tensor', 'dtype float32 ([0, 1]) or int32 (0..255)', `dtype ${t.dtype}`)
  }
  if (norm !== null && t.dtype === 'float32') {
    const mm = tfc.tidy(() => tfc.stack([tfc.min(t), tfc.max(t)]))
    const range = Array.from(mm.dataSync())
    mm.dispose()
    if (Number.isNaN(range[0]!) || Number.isNaN(range[1]!) || range[0]! < -1e-6 || range[1]! > 1 + 1e-6) {
      throw new InputRangeError(
        'predict float32 tensor',
        'in [0, 1] (pixel / 255)',
        `min ${range[0]} and max ${range[1]}${range[1]! > 1.5 ? ' (0..255 pixels belong in an int32 tensor)' : ''}${range[0]! < 0 ? ' (already normalised? pass normalization: null)' : ''}`,
      )
    }
  }
  return tfc.tidy(() => {
    let x = tfc.cast(tfc.reshape(t, [n, SIDE, SIDE, 1]), 'float32')
    if (t.dtype === 'int32') x = tfc.div(x, 255)
    if (norm !== null) x = tfc.div(tfc.sub(x, norm.mean), norm.std)
    return x as tfc.Tensor4D
  })
}

function describe(v: unknown): string {
  if (v === null) return 'null'
  if (typeof v !== 'object') return typeof v
  return (v as object).constructor?.name ?? 'object'
}
