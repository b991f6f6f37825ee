import { PNG } from 'pngjs'
import { describe, expect, it } from 'vitest'
import { buildPng } from '../test/png-fixtures'
import { ImageDecodeError, MnistEvalError } from './errors'
import { decodePng, encodePng } from './png'

/** A 5x4 test pattern: value depends on position so any mix-up of rows, columns or passes shows. */
const W = 5
const H = 4
const gray8 = (x: number, y: number): number => (x * 40 + y * 13) % 256

function pngjsWrite(
  colorType: 0 | 2 | 4 | 6,
  bitDepth: 8 | 16,
  rgba: (x: number, y: number) => [number, number, number, number],
): Uint8Array {
  const png = new PNG({ width: W, height: H, colorType, bitDepth, inputHasAlpha: true })
  const max = bitDepth === 16 ? 65535 : 255
  const data = bitDepth === 16 ? new Uint16Array(W * H * 4) : Buffer.alloc(W * H * 4)
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      data.set(
        rgba(x, y).map((v) => Math.min(max, v)),
        (y * W + x) * 4,
      )
  png.data = data as unknown as Buffer
  const buf = PNG.sync.write(png, { colorType, bitDepth, inputHasAlpha: true, inputColorType: 6 })
  return new Uint8Array(buf)
}

describe('decodePng', () => {
  it('decodes 8-bit grayscale to 1 channel, exactly', () => {
    const bytes = pngjsWrite(0, 8, (x, y) => [gray8(x, y), gray8(x, y), gray8(x, y), 255])
    const img = decodePng(bytes)
    expect(img).toMatchObject({ width: W, height: H, channels: 1 })
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) expect(img.data[y * W + x]).toBe(gray8(x, y))
  })

  it('scales 16-bit grayscale to 8 bits', () => {
    const values = [0, 65535, 0x8080, 0x1010]
    const bytes = buildPng({ width: 4, height: 1, colorType: 0, bitDepth: 16, samples: (x) => [values[x]!] })
    expect(Array.from(decodePng(bytes).data)).toEqual([0, 255, 128, 16])
  })

  it('decodes 1-, 2- and 4-bit grayscale', () => {
    for (const bitDepth of [1, 2, 4] as const) {
      const max = (1 << bitDepth) - 1
      const bytes = buildPng({ width: 11, height: 3, colorType: 0, bitDepth, samples: (x, y) => [(x + y) % (max + 1)] })
      const img = decodePng(bytes, { file: `gray${bitDepth}.png` })
      expect(img).toMatchObject({ width: 11, height: 3, channels: 1 })
      for (let y = 0; y < 3; y++) {
        for (let x = 0; x < 11; x++) expect(img.data[y * 11 + x]).toBe(Math.round((((x + y) % (max + 1)) * 255) / max))
      }
    }
  })

  it('decodes 8-bit RGB to 3 channels, exactly', () => {
    const bytes = pngjsWrite(2, 8, (x, y) => [x * 50, y * 60, 200, 255])
    const img = decodePng(bytes)
    expect(img).toMatchObject({ width: W, height: H, channels: 3 })
    expect(Array.from(img.data.subarray((2 * W + 3) * 3, (2 * W + 3) * 3 + 3))).toEqual([150, 120, 200])
  })

  it('decodes 16-bit RGBA', () => {
    const bytes = pngjsWrite(6, 16, (x) => [x * 10000, 65535, 0, 65535])
    const img = decodePng(bytes)
    expect(img.channels).toBe(3)
    expect(Array.from(img.data.subarray(0, 6))).toEqual([0, 255, 0, Math.round((10000 / 65535) * 255), 255, 0])
  })

  it('decodes palette images (2- and 8-bit) including tRNS transparency', () => {
    const palette: [number, number, number][] = [
      [255, 255, 255],
      [0, 0, 0],
      [255, 0, 0],
      [0, 0, 255],
    ]
    for (const bitDepth of [2, 8] as const) {
      const bytes = buildPng({ width: 6, height: 2, colorType: 3, bitDepth, palette, samples: (x, y) => [(x + y) % 4] })
      const img = decodePng(bytes)
      expect(img).toMatchObject({ width: 6, height: 2, channels: 3 })
      for (let i = 0; i < 12; i++) {
        const x = i % 6
        const y = Math.floor(i / 6)
        expect(Array.from(img.data.subarray(i * 3, i * 3 + 3))).toEqual(palette[(x + y) % 4])
      }
    }
    // Index 0 fully transparent: on a dark opaque drawing it becomes white (auto background).
    const bytes = buildPng({
      width: 4,
      height: 1,
      colorType: 3,
      bitDepth: 8,
      palette: [
        [0, 0, 0],
        [10, 10, 10],
      ],
      trns: [0, 255],
      samples: (x) => [x === 0 ? 0 : 1],
    })
    const img = decodePng(bytes)
    expect(Array.from(img.data.subarray(0, 6))).toEqual([255, 255, 255, 10, 10, 10])
  })

  it('decodes Adam7-interlaced images the same as plain ones', () => {
    for (const [colorType, channels] of [
      [0, 1],
      [2, 3],
    ] as const) {
      const samples = (x: number, y: number): number[] =>
        Array.from({ length: channels }, (_, c) => (x * 17 + y * 29 + c * 71) % 256)
      const plain = decodePng(buildPng({ width: 13, height: 11, colorType, bitDepth: 8, samples }))
      const interlaced = decodePng(
        buildPng({ width: 13, height: 11, colorType, bitDepth: 8, samples, interlace: true }),
      )
      expect(interlaced).toMatchObject({ width: 13, height: 11, channels })
      expect(Array.from(interlaced.data)).toEqual(Array.from(plain.data))
      expect(interlaced.data[(10 * 13 + 12) * channels]).toBe((12 * 17 + 10 * 29) % 256)
    }
  })

  it('flattens gray + alpha: dark strokes on transparent go on white, light strokes on black', () => {
    const dark = buildPng({
      width: 3,
      height: 1,
      colorType: 4,
      bitDepth: 8,
      samples: (x) => (x === 1 ? [0, 255] : [0, 0]),
    })
    expect(Array.from(decodePng(dark).data)).toEqual([255, 0, 255])
    const light = buildPng({
      width: 3,
      height: 1,
      colorType: 4,
      bitDepth: 8,
      samples: (x) => (x === 1 ? [255, 255] : [255, 0]),
    })
    expect(Array.from(decodePng(light).data)).toEqual([0, 255, 0])
    expect(Array.from(decodePng(light, { flattenAlpha: 'white' }).data)).toEqual([255, 255, 255])
    const kept = decodePng(light, { flattenAlpha: false })
    expect(kept.channels).toBe(4)
    expect(Array.from(kept.data.subarray(0, 8))).toEqual([255, 255, 255, 0, 255, 255, 255, 255])
  })

  it('blends half-transparent pixels with the background', () => {
    const bytes = pngjsWrite(6, 8, (x) => (x === 0 ? [0, 0, 0, 128] : [0, 0, 0, 255]))
    const img = decodePng(bytes)
    expect(img.data[0]).toBe(Math.round(255 * (1 - 128 / 255)))
  })

  it('names the file and the problem for non-PNG, empty, truncated and corrupt input', () => {
    const jpeg = Uint8Array.of(0xff, 0xd8, 0xff, 0xe0, 0, 0x10, 0x4a, 0x46, 0x49, 0x46)
    expect(() => decodePng(jpeg, { file: 'photo.png' })).toThrow(/photo\.png: not a PNG file \(it looks like a JPEG\)/)
    expect(() => decodePng(new Uint8Array(0), { file: 'empty.png' })).toThrow(
      /empty\.png: not a PNG file \(the file is empty\)/,
    )
    const good = pngjsWrite(2, 8, () => [1, 2, 3, 255])
    expect(() => decodePng(good.subarray(0, 40), { file: 'cut.png' })).toThrow(/cut\.png: corrupt or truncated PNG/)
    const corrupt = Uint8Array.from(good)
    corrupt[corrupt.length - 20] ^= 0xff
    let error: unknown
    try {
      decodePng(corrupt, { file: 'bad.png' })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(ImageDecodeError)
    expect(error).toBeInstanceOf(MnistEvalError)
    expect((error as ImageDecodeError).code).toBe('EVAL_IMAGE_DECODE')
    expect((error as ImageDecodeError).file).toBe('bad.png')
    expect((error as Error).message).toMatch(/^\[@mnist\/eval\] bad\.png: /)
  })
})

describe('encodePng', () => {
  it('round-trips 1, 3 and 4 channels through decodePng', () => {
    const w = 7
    const h = 3
    for (const channels of [1, 3, 4] as const) {
      const data = Uint8Array.from({ length: w * h * channels }, (_, i) => (i * 37) % 256)
      if (channels === 4) for (let i = 3; i < data.length; i += 4) data[i] = 255
      const decoded = decodePng(encodePng({ data, width: w, height: h, channels }), {
        flattenAlpha: channels === 4 ? false : 'auto',
      })
      expect(decoded).toMatchObject({ width: w, height: h, channels })
      expect(Array.from(decoded.data)).toEqual(Array.from(data))
    }
  })

  it('rejects data of the wrong length', () => {
    expect(() => encodePng({ data: new Uint8Array(5), width: 2, height: 2, channels: 1 })).toThrow(/option "data"/)
  })
})
