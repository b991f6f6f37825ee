import { PNG } from 'pngjs'
import { ImageDecodeError, ImageTooLargeError, InvalidOptionError, describe } from './errors'

/**
 * Default `maxPixels` of `decodePng`: 4096 x 4096 = 16,777,216 pixels (64 MiB as 8-bit RGBA). Far above any picture
 * of one digit, and low enough that a decode stays within a few hundred MB of memory.
 */
export const DEFAULT_MAX_PIXELS = 4096 * 4096

/** Decoded pixels, 8 bits per channel, row-major, interleaved: the shape `preprocessImage` of @mnist/model takes. */
export interface DecodedImage {
  data: Uint8Array
  width: number
  height: number
  /** 1 (gray), 3 (RGB) or, with `flattenAlpha: false`, 4 (RGBA). */
  channels: 1 | 3 | 4
}

export interface DecodePngOptions {
  /** Name used in error messages (a file path; default `<bytes>`). */
  file?: string
  /**
   * What to do with transparency (default `auto`): `auto` puts the image on white when its opaque pixels are dark
   * (a dark digit drawn on a transparent canvas) and on black when they are light, so the digit stays visible;
   * `white` / `black` always use that background; `false` keeps the alpha channel (channels 4).
   */
  flattenAlpha?: 'auto' | 'white' | 'black' | false
  /**
   * Most pixels (width x height) accepted, checked from the IHDR header before anything is allocated
   * (default `DEFAULT_MAX_PIXELS` = 4096 x 4096). A PNG of a few hundred KB can declare 20000 x 20000 pixels.
   */
  maxPixels?: number
}

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]

/**
 * Decodes a PNG of any colour type (gray, gray + alpha, RGB, RGBA, palette), bit depth (1 to 16; 16-bit is scaled to
 * 8) and interlacing. Grayscale sources give 1 channel, colour sources 3; transparency is flattened (see
 * `flattenAlpha`). Anything that is not a valid PNG throws `ImageDecodeError` naming `options.file`.
 */
export function decodePng(bytes: Uint8Array, options: DecodePngOptions = {}): DecodedImage {
  const file = options.file ?? '<bytes>'
  const flatten = options.flattenAlpha ?? 'auto'
  if (flatten !== 'auto' && flatten !== 'white' && flatten !== 'black' && flatten !== false) {
    throw new InvalidOptionError('flattenAlpha', '"auto", "white", "black" or false', flatten)
  }
  if (!(bytes instanceof Uint8Array))
    throw new ImageDecodeError(file, `expected the file's bytes as a Uint8Array, found ${describe(bytes)}`)
  if (bytes.length < 8 || PNG_SIGNATURE.some((b, i) => bytes[i] !== b)) {
    throw new ImageDecodeError(file, `not a PNG file (${sniff(bytes)}); expected a PNG image`)
  }
  checkDeclaredSize(bytes, file, options.maxPixels ?? DEFAULT_MAX_PIXELS)
  let png: PNG
  try {
    png = PNG.sync.read(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength))
  } catch (error) {
    throw new ImageDecodeError(
      file,
      `corrupt or truncated PNG: ${error instanceof Error ? error.message : String(error)}`,
      error,
    )
  }
  const { width, height } = png
  if (width < 1 || height < 1) throw new ImageDecodeError(file, `PNG has no pixels (${width}x${height})`)
  const rgba = png.data
  const pixels = width * height
  // IHDR is always the first chunk, so its colour type is byte 25: 0 gray, 2 RGB, 3 palette, 4 gray + alpha, 6 RGBA.
  // pngjs always hands back 8-bit RGBA; gray sources are returned as 1 channel again.
  const colorType = bytes[25]!
  const isGray = colorType === 0 || colorType === 4

  if (flatten === false) {
    return {
      data: new Uint8Array(rgba.buffer.slice(rgba.byteOffset, rgba.byteOffset + rgba.byteLength)),
      width,
      height,
      channels: 4,
    }
  }

  let hasAlpha = false
  let darkSum = 0
  let opaque = 0
  for (let i = 0; i < pixels; i++) {
    const a = rgba[i * 4 + 3]!
    if (a < 255) hasAlpha = true
    if (a >= 128) {
      darkSum += luminance(rgba[i * 4]!, rgba[i * 4 + 1]!, rgba[i * 4 + 2]!)
      opaque++
    }
  }
  let background = 255
  if (flatten === 'black') background = 0
  else if (flatten === 'auto' && opaque > 0 && darkSum / opaque >= 128) background = 0

  const channels = isGray ? 1 : 3
  const out = new Uint8Array(pixels * channels)
  for (let i = 0; i < pixels; i++) {
    const a = hasAlpha ? rgba[i * 4 + 3]! / 255 : 1
    for (let c = 0; c < channels; c++) {
      const v = rgba[i * 4 + c]!
      out[i * channels + c] = a === 1 ? v : Math.round(v * a + background * (1 - a))
    }
  }
  return { data: out, width, height, channels }
}

/** Encodes 8-bit pixels (1 gray, 3 RGB or 4 RGBA channels) as a PNG. */
export function encodePng(image: DecodedImage): Uint8Array {
  const { data, width, height, channels } = image
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new InvalidOptionError('width/height', 'positive integers', `${width}x${height}`)
  }
  if (channels !== 1 && channels !== 3 && channels !== 4)
    throw new InvalidOptionError('channels', '1, 3 or 4', channels)
  if (!(data instanceof Uint8Array) || data.length !== width * height * channels) {
    throw new InvalidOptionError(
      'data',
      `a Uint8Array of width * height * channels = ${width * height * channels} bytes`,
      data,
    )
  }
  const rgba = Buffer.alloc(width * height * 4)
  for (let i = 0; i < width * height; i++) {
    if (channels === 1) {
      rgba[i * 4] = rgba[i * 4 + 1] = rgba[i * 4 + 2] = data[i]!
      rgba[i * 4 + 3] = 255
    } else {
      rgba[i * 4] = data[i * channels]!
      rgba[i * 4 + 1] = data[i * channels + 1]!
      rgba[i * 4 + 2] = data[i * channels + 2]!
      rgba[i * 4 + 3] = channels === 4 ? data[i * channels + 3]! : 255
    }
  }
  const colorType = channels === 1 ? 0 : channels === 3 ? 2 : 6
  const png = new PNG({ width, height })
  png.data = rgba
  const buffer = PNG.sync.write(png, { colorType, inputColorType: 6, inputHasAlpha: true })
  return new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength)
}

/**
 * Read width and height from IHDR (always the first chunk: length 13 at byte 8, type at 12, width at 16, height at
 * 20, big-endian) and refuse the image before pngjs allocates width * height * 4 bytes for it.
 */
function checkDeclaredSize(bytes: Uint8Array, file: string, maxPixels: number): void {
  if (!Number.isSafeInteger(maxPixels) || maxPixels < 1) {
    throw new InvalidOptionError('maxPixels', 'a positive integer', maxPixels)
  }
  if (bytes.length < 26) throw new ImageDecodeError(file, 'truncated PNG: no IHDR chunk')
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const type = String.fromCharCode(bytes[12]!, bytes[13]!, bytes[14]!, bytes[15]!)
  if (type !== 'IHDR' || view.getUint32(8) !== 13) {
    throw new ImageDecodeError(file, `corrupt PNG: expected the IHDR chunk first, found ${JSON.stringify(type)}`)
  }
  const width = view.getUint32(16)
  const height = view.getUint32(20)
  if (width * height > maxPixels) throw new ImageTooLargeError(file, width, height, maxPixels)
}

function luminance(r: number, g: number, b: number): number {
  return 0.299 * r + 0.587 * g + 0.114 * b
}

function sniff(bytes: Uint8Array): string {
  if (bytes.length === 0) return 'the file is empty'
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'it looks like a JPEG'
  if (bytes[0] === 0x47 && bytes[1] === 0x49 && bytes[2] === 0x46) return 'it looks like a GIF'
  if (bytes[0] === 0x42 && bytes[1] === 0x4d) return 'it looks like a BMP'
  if (bytes[0] === 0x52 && bytes[1] === 0x49 && bytes[2] === 0x46 && bytes[3] === 0x46)
    return 'it looks like a RIFF/WebP file'
  const head = Array.from(bytes.subarray(0, 8), (b) => b.toString(16).padStart(2, '0')).join(' ')
  return `first bytes ${head}`
}
