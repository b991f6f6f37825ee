import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { IdxFormatError, MnistDataError } from './errors'
import { encodeIdx, parseIdx, type IdxArray, type IdxData, type IdxDType } from './idx'

/** Builds IDX bytes by hand (not with encodeIdx) so the parser is checked against the format, not itself. */
function handIdx(typeCode: number, shape: number[], body: number[]): Uint8Array {
  const header = [0, 0, typeCode, shape.length]
  for (const d of shape) header.push((d >>> 24) & 255, (d >>> 16) & 255, (d >>> 8) & 255, d & 255)
  return new Uint8Array([...header, ...body])
}

function expectIdxError(fn: () => unknown, code: string, ...fragments: string[]): IdxFormatError {
  let caught: unknown
  try {
    fn()
  } catch (error) {
    caught = error
  }
  expect(caught).toBeInstanceOf(IdxFormatError)
  expect(caught).toBeInstanceOf(MnistDataError)
  const error = caught as IdxFormatError
  expect(error.code).toBe(code)
  expect(error.message.startsWith('[@mnist/data] ')).toBe(true)
  for (const f of fragments) expect(error.message).toContain(f)
  return error
}

describe('parseIdx: dtypes and ranks', () => {
  it('reads big-endian values of every dtype', () => {
    // 0x0102 = 258, 0xfffe = -2 (int16); 0x01020304 = 16909060; 1.5f = 3f c0 00 00; -2.0 = c0 00 00 00 00 00 00 00
    const cases: Array<[number, IdxDType, number[], number[]]> = [
      [0x08, 'uint8', [0, 127, 255], [0, 127, 255]],
      [0x09, 'int8', [0x80, 0xff, 0x7f], [-128, -1, 127]],
      [0x0b, 'int16', [0x01, 0x02, 0xff, 0xfe], [258, -2]],
      [0x0c, 'int32', [0x01, 0x02, 0x03, 0x04, 0xff, 0xff, 0xff, 0xff], [16909060, -1]],
      [0x0d, 'float32', [0x3f, 0xc0, 0, 0, 0xc0, 0x20, 0, 0], [1.5, -2.5]],
      [0x0e, 'float64', [0xc0, 0, 0, 0, 0, 0, 0, 0, 0x3f, 0xf0, 0, 0, 0, 0, 0, 0], [-2, 1]],
    ]
    for (const [code, dtype, body, values] of cases) {
      const parsed = parseIdx(handIdx(code, [values.length], body), `${dtype}.idx`)
      expect(parsed.dtype).toBe(dtype)
      expect(parsed.shape).toEqual([values.length])
      expect(Array.from(parsed.data)).toEqual(values)
    }
  })

  it('returns the matching typed array class', () => {
    const classes: Record<IdxDType, new (n: number) => IdxData> = {
      uint8: Uint8Array,
      int8: Int8Array,
      int16: Int16Array,
      int32: Int32Array,
      float32: Float32Array,
      float64: Float64Array,
    }
    for (const [dtype, Ctor] of Object.entries(classes) as Array<[IdxDType, new (n: number) => IdxData]>) {
      const data = new Ctor(6)
      for (let i = 0; i < 6; i++) data[i] = i - 2
      const parsed = parseIdx(encodeIdx({ dtype, shape: [2, 3], data }))
      expect(parsed.data).toBeInstanceOf(Ctor)
      expect(Array.from(parsed.data)).toEqual([-2, -1, 0, 1, 2, 3].map((v) => (dtype === 'uint8' ? v & 255 : v)))
    }
  })

  it('handles ranks 1 to 5 and zero-sized dimensions', () => {
    for (const shape of [[7], [2, 3], [2, 3, 4], [1, 2, 3, 2], [2, 1, 2, 1, 3], [0, 28, 28]]) {
      const n = shape.reduce((a, b) => a * b, 1)
      const data = Float32Array.from({ length: n }, (_, i) => i / 4)
      const parsed = parseIdx(encodeIdx({ dtype: 'float32', shape, data }))
      expect(parsed.shape).toEqual(shape)
      expect(Array.from(parsed.data)).toEqual(Array.from(data))
    }
  })

  it('detects gzip by magic and inflates it', () => {
    const array: IdxArray = { dtype: 'int16', shape: [2, 2], data: Int16Array.from([1, -300, 32767, -32768]) }
    const parsed = parseIdx(gzipSync(encodeIdx(array)), 'x.gz')
    expect(parsed.dtype).toBe('int16')
    expect(Array.from(parsed.data)).toEqual([1, -300, 32767, -32768])
  })

  it('never aliases the input bytes', () => {
    const bytes = handIdx(0x08, [3], [1, 2, 3])
    const parsed = parseIdx(bytes)
    bytes[8] = 99
    expect(Array.from(parsed.data)).toEqual([1, 2, 3])
    expect(parsed.data.byteOffset).toBe(0)
    expect(parsed.data.buffer.byteLength).toBe(3)
  })
})

describe('parseIdx: corruption catalogue', () => {
  const good = handIdx(0x08, [2, 3], [1, 2, 3, 4, 5, 6])

  it('wrong magic', () => {
    expectIdxError(
      () => parseIdx(new Uint8Array([0x50, 0x4b, 3, 4, 0, 0, 0, 1, 9]), 'zip.idx'),
      'DATA_IDX_BAD_MAGIC',
      'zip.idx',
      'expected',
      '0x50 0x4b',
    )
  })

  it('unknown type code', () => {
    expectIdxError(() => parseIdx(handIdx(0x0a, [1], [0]), 'f.idx'), 'DATA_IDX_BAD_TYPE', 'f.idx', 'got 0x0a')
  })

  it('rank 0', () => {
    expectIdxError(() => parseIdx(new Uint8Array([0, 0, 8, 0]), 'r0'), 'DATA_IDX_BAD_RANK', 'r0', 'got 0')
  })

  it('truncated header (magic and dimensions)', () => {
    expectIdxError(() => parseIdx(new Uint8Array([0, 0, 8]), 'h1'), 'DATA_IDX_TRUNCATED_HEADER', 'h1', 'got 3')
    expectIdxError(
      () => parseIdx(good.subarray(0, 9), 'h2'),
      'DATA_IDX_TRUNCATED_HEADER',
      'h2',
      'expected 12 header bytes for rank 2, got 9',
    )
  })

  it('truncated data', () => {
    expectIdxError(
      () => parseIdx(good.subarray(0, good.length - 2), 'train-images-idx3-ubyte.gz'),
      'DATA_IDX_TRUNCATED_DATA',
      'train-images-idx3-ubyte.gz: truncated: expected 6 bytes of uint8 data for shape [2, 3], got 4',
    )
  })

  it('trailing bytes', () => {
    expectIdxError(
      () => parseIdx(new Uint8Array([...good, 0, 0]), 't.idx'),
      'DATA_IDX_TRAILING_BYTES',
      't.idx',
      'expected 6',
      'got 8',
      '2 extra',
    )
  })

  it('dimension product overflow', () => {
    expectIdxError(
      () => parseIdx(handIdx(0x0e, [0xffffffff, 0xffffffff, 0xffffffff], []), 'o.idx'),
      'DATA_IDX_DIM_OVERFLOW',
      'o.idx',
      '4294967295, 4294967295, 4294967295',
    )
    // Fits in a double but not in any typed array.
    expectIdxError(() => parseIdx(handIdx(0x0c, [65536, 65536], []), 'o2.idx'), 'DATA_IDX_DIM_OVERFLOW', 'o2.idx')
  })

  it('corrupt gzip', () => {
    const gz = gzipSync(good)
    const bad = Uint8Array.from(gz)
    for (let i = 10; i < bad.length - 8; i++) bad[i] = bad[i]! ^ 0x5a
    expectIdxError(() => parseIdx(bad, 'c.gz'), 'DATA_GZIP_CORRUPT', 'c.gz', 'corrupt gzip')
    // Intact deflate data, wrong CRC in the trailer.
    const badCrc = Uint8Array.from(gz)
    badCrc[badCrc.length - 8] = badCrc[badCrc.length - 8]! ^ 1
    expectIdxError(() => parseIdx(badCrc, 'crc.gz'), 'DATA_GZIP_CORRUPT', 'crc.gz')
  })

  it('truncated gzip', () => {
    const gz = gzipSync(good)
    expectIdxError(
      () => parseIdx(gz.subarray(0, gz.length - 10), 'tr.gz'),
      'DATA_GZIP_TRUNCATED',
      'tr.gz',
      'truncated gzip',
    )
  })

  it('names a default when no file name is given', () => {
    expectIdxError(() => parseIdx(new Uint8Array([1, 2, 3, 4])), 'DATA_IDX_BAD_MAGIC', '<bytes>')
  })
})

describe('encodeIdx', () => {
  it('writes big-endian bytes readable by hand', () => {
    expect(Array.from(encodeIdx({ dtype: 'int16', shape: [1], data: Int16Array.from([258]) }))).toEqual([
      0, 0, 0x0b, 1, 0, 0, 0, 1, 1, 2,
    ])
  })
  it('rejects a shape that does not match the data', () => {
    expect(() => encodeIdx({ dtype: 'uint8', shape: [2, 2], data: new Uint8Array(3) })).toThrow(
      /product equals data.length/,
    )
  })
})
