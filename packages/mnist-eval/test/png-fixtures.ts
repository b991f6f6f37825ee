// Writes PNG files byte by byte, so tests can cover what pngjs cannot write: palettes, 1/2/4-bit depths, tRNS and
// Adam7 interlacing.
import { createDeflate, deflateSync } from 'node:zlib'

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 }
const ADAM7: [number, number, number, number][] = [
  [0, 0, 8, 8],
  [4, 0, 8, 8],
  [0, 4, 4, 8],
  [2, 0, 4, 4],
  [0, 2, 2, 4],
  [1, 0, 2, 2],
  [0, 1, 1, 2],
]

export interface RawPngSpec {
  width: number
  height: number
  colorType: 0 | 2 | 3 | 4 | 6
  bitDepth: 1 | 2 | 4 | 8 | 16
  /** Per pixel, row-major: the channel samples (palette index for colour type 3), in the file's bit depth. */
  samples: (x: number, y: number) => number[]
  palette?: [number, number, number][]
  /** Raw tRNS chunk payload. */
  trns?: number[]
  interlace?: boolean
}

export function buildPng(spec: RawPngSpec): Uint8Array {
  const { width, height, colorType, bitDepth } = spec
  const ihdr = new Uint8Array(13)
  const view = new DataView(ihdr.buffer)
  view.setUint32(0, width)
  view.setUint32(4, height)
  ihdr.set([bitDepth, colorType, 0, 0, spec.interlace ? 1 : 0], 8)
  const raw: number[] = []
  const passes = spec.interlace ? ADAM7 : [[0, 0, 1, 1] as [number, number, number, number]]
  for (const [x0, y0, dx, dy] of passes) {
    const xs: number[] = []
    for (let x = x0; x < width; x += dx) xs.push(x)
    if (xs.length === 0) continue
    for (let y = y0; y < height; y += dy) {
      raw.push(0) // filter: none
      raw.push(
        ...packRow(
          xs.map((x) => spec.samples(x, y)),
          bitDepth,
          CHANNELS[colorType]!,
        ),
      )
    }
  }
  const chunks = [chunk('IHDR', ihdr)]
  if (spec.palette) chunks.push(chunk('PLTE', Uint8Array.from(spec.palette.flat())))
  if (spec.trns) chunks.push(chunk('tRNS', Uint8Array.from(spec.trns)))
  chunks.push(chunk('IDAT', new Uint8Array(deflateSync(Uint8Array.from(raw)))))
  chunks.push(chunk('IEND', new Uint8Array(0)))
  return concat([Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), ...chunks])
}

/**
 * A valid 8-bit grayscale PNG of `width` x `height` black pixels, deflated as a stream (the raw rows never exist in
 * memory at once): 20000 x 20000 gives a ~390 KB file that decodes to 1.6 GB of RGBA.
 */
export async function blankPng(width: number, height: number): Promise<Uint8Array> {
  const ihdr = new Uint8Array(13)
  const view = new DataView(ihdr.buffer)
  view.setUint32(0, width)
  view.setUint32(4, height)
  ihdr.set([8, 0, 0, 0, 0], 8)
  const deflate = createDeflate({ level: 9 })
  const parts: Buffer[] = []
  deflate.on('data', (b: Buffer) => parts.push(b))
  const done = new Promise((resolve, reject) => deflate.on('end', resolve).on('error', reject))
  const row = new Uint8Array(width + 1)
  for (let y = 0; y < height; y++) {
    if (!deflate.write(row)) await new Promise((r) => deflate.once('drain', r))
  }
  deflate.end()
  await done
  const idat = new Uint8Array(Buffer.concat(parts))
  const chunks = [chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))]
  return concat([Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), ...chunks])
}

function packRow(pixels: number[][], bitDepth: number, channels: number): number[] {
  const out: number[] = []
  if (bitDepth === 16) {
    for (const p of pixels) for (let c = 0; c < channels; c++) out.push(p[c]! >> 8, p[c]! & 0xff)
    return out
  }
  if (bitDepth === 8) {
    for (const p of pixels) for (let c = 0; c < channels; c++) out.push(p[c]!)
    return out
  }
  let acc = 0
  let bits = 0
  for (const p of pixels) {
    for (let c = 0; c < channels; c++) {
      acc = (acc << bitDepth) | p[c]!
      bits += bitDepth
      if (bits === 8) {
        out.push(acc)
        acc = 0
        bits = 0
      }
    }
  }
  if (bits > 0) out.push(acc << (8 - bits))
  return out
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, data.length)
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i)
  out.set(data, 8)
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)))
  return out
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256)
  for (let n = 0; n < 256; n++) {
    let c = n
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
    table[n] = c >>> 0
  }
  return table
})()

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff]! ^ (c >>> 8)
  return (c ^ 0xffffffff) >>> 0
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0))
  let offset = 0
  for (const p of parts) {
    out.set(p, offset)
    offset += p.length
  }
  return out
}
