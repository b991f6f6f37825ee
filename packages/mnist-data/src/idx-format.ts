// The IDX format itself: header, element types, byte order. Browser-safe (no node:*): both entries use it.
import { IdxFormatError } from './errors'

/** Element types of the IDX format. */
export type IdxDType = 'uint8' | 'int8' | 'int16' | 'int32' | 'float32' | 'float64'

/** The typed array that holds each dtype. */
export type IdxData = Uint8Array | Int8Array | Int16Array | Int32Array | Float32Array | Float64Array

/** A parsed IDX file: element type, dimension sizes (outermost first) and the elements in row-major order. */
export interface IdxArray {
  dtype: IdxDType
  shape: number[]
  data: IdxData
}

interface DTypeInfo {
  code: number
  dtype: IdxDType
  size: number
  make: (buffer: ArrayBuffer, length: number) => IdxData
}

const DTYPES: readonly DTypeInfo[] = [
  { code: 0x08, dtype: 'uint8', size: 1, make: (b, n) => new Uint8Array(b, 0, n) },
  { code: 0x09, dtype: 'int8', size: 1, make: (b, n) => new Int8Array(b, 0, n) },
  { code: 0x0b, dtype: 'int16', size: 2, make: (b, n) => new Int16Array(b, 0, n) },
  { code: 0x0c, dtype: 'int32', size: 4, make: (b, n) => new Int32Array(b, 0, n) },
  { code: 0x0d, dtype: 'float32', size: 4, make: (b, n) => new Float32Array(b, 0, n) },
  { code: 0x0e, dtype: 'float64', size: 8, make: (b, n) => new Float64Array(b, 0, n) },
]

const BY_CODE = new Map(DTYPES.map((d) => [d.code, d]))
const BY_NAME = new Map(DTYPES.map((d) => [d.dtype, d]))
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1
const hex = (n: number): string => `0x${n.toString(16).padStart(2, '0')}`

/** True when the bytes start with the gzip magic number 1f 8b. */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b
}

/** Parses uncompressed IDX bytes; the data is copied into its own buffer. Internal. */
export function parseRawIdx(bytes: Uint8Array, name: string): IdxArray {
  const header = parseIdxHeader(bytes, name)
  const { headerLength, dataLength, shape, dtype } = header
  const found = bytes.length - headerLength
  if (found < dataLength) {
    throw new IdxFormatError(
      'DATA_IDX_TRUNCATED_DATA',
      name,
      `truncated: expected ${dataLength} bytes of ${dtype} data for shape [${shape.join(', ')}], got ${found}`,
    )
  }
  if (found > dataLength) {
    throw new IdxFormatError(
      'DATA_IDX_TRAILING_BYTES',
      name,
      `trailing bytes: expected ${dataLength} bytes of ${dtype} data for shape [${shape.join(', ')}], got ${found} (${found - dataLength} extra)`,
    )
  }
  const out = new Uint8Array(dataLength)
  out.set(bytes.subarray(headerLength, headerLength + dataLength))
  return idxArrayOf(header, out)
}

/** What an IDX header says: element type, shape, and the byte lengths of the header and of the data after it. */
export interface IdxHeader {
  dtype: IdxDType
  shape: number[]
  headerLength: number
  dataLength: number
}

/** Bytes of header the file needs: 4 until the rank byte is there, then 4 + 4 * rank. Internal. */
export function idxHeaderLength(bytes: Uint8Array): number {
  return bytes.length < 4 ? 4 : 4 + 4 * bytes[3]!
}

/**
 * Validates and decodes the IDX header at the start of `bytes` (the data may follow or not): magic, type, rank,
 * dimensions, and a data size that a typed array can hold. Internal; errors name `name`.
 */
export function parseIdxHeader(bytes: Uint8Array, name: string): IdxHeader {
  if (bytes.length < 4) {
    throw new IdxFormatError(
      'DATA_IDX_TRUNCATED_HEADER',
      name,
      `truncated header: expected at least 4 bytes of IDX magic, got ${bytes.length}`,
    )
  }
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    throw new IdxFormatError(
      'DATA_IDX_BAD_MAGIC',
      name,
      `bad magic: expected an IDX file starting with 00 00 (or gzip 1f 8b), got ${hex(bytes[0]!)} ${hex(bytes[1]!)}`,
    )
  }
  const info = BY_CODE.get(bytes[2]!)
  if (!info) {
    throw new IdxFormatError(
      'DATA_IDX_BAD_TYPE',
      name,
      `unknown type code: expected one of 0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e, got ${hex(bytes[2]!)}`,
    )
  }
  const rank = bytes[3]!
  if (rank === 0) {
    throw new IdxFormatError('DATA_IDX_BAD_RANK', name, 'bad rank: expected at least 1 dimension, got 0')
  }
  const headerLength = 4 + 4 * rank
  if (bytes.length < headerLength) {
    throw new IdxFormatError(
      'DATA_IDX_TRUNCATED_HEADER',
      name,
      `truncated header: expected ${headerLength} header bytes for rank ${rank}, got ${bytes.length}`,
    )
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const shape: number[] = []
  let count = 1
  for (let i = 0; i < rank; i++) {
    const dim = view.getUint32(4 + 4 * i, false)
    shape.push(dim)
    count *= dim
  }
  // Doubles stay exact up to 2^53, so a product past that (or past what a typed array can hold) is a header lie.
  const dataLength = count * info.size
  if (!Number.isSafeInteger(dataLength) || dataLength > 2 ** 32) {
    throw new IdxFormatError(
      'DATA_IDX_DIM_OVERFLOW',
      name,
      `dimension product overflow: expected at most ${2 ** 32} bytes of data, got dimensions [${shape.join(', ')}] of ${info.dtype} (${dataLength} bytes)`,
    )
  }
  return { dtype: info.dtype, shape, headerLength, dataLength }
}

/** Wraps `data` (big-endian bytes, owned by the caller and swapped in place) as the typed array of the header's dtype. */
export function idxArrayOf(header: IdxHeader, data: Uint8Array): IdxArray {
  const info = BY_NAME.get(header.dtype)!
  if (info.size > 1 && LITTLE_ENDIAN) swapBytes(data, info.size)
  return {
    dtype: header.dtype,
    shape: header.shape,
    data: info.make(data.buffer as ArrayBuffer, header.dataLength / info.size),
  }
}

function swapBytes(bytes: Uint8Array, size: number): void {
  const half = size >> 1
  for (let i = 0; i < bytes.length; i += size) {
    for (let j = 0; j < half; j++) {
      const a = i + j
      const b = i + size - 1 - j
      const t = bytes[a]!
      bytes[a] = bytes[b]!
      bytes[b] = t
    }
  }
}

/** Serialises an IdxArray to IDX bytes (big-endian); the inverse of parseIdx. Handy for fixtures and exports. */
export function encodeIdx(array: IdxArray): Uint8Array {
  const info = BY_NAME.get(array.dtype)
  if (!info) throw new TypeError(`[@mnist/data] encodeIdx: unknown dtype ${String(array.dtype)}`)
  const { shape, data } = array
  const count = shape.reduce((a, b) => a * b, 1)
  if (shape.length === 0 || shape.length > 255 || data.length !== count) {
    throw new TypeError(
      `[@mnist/data] encodeIdx: expected 1..255 dimensions whose product equals data.length, got shape [${shape.join(', ')}] and ${data.length} elements`,
    )
  }
  const header = 4 + 4 * shape.length
  const out = new Uint8Array(header + count * info.size)
  const view = new DataView(out.buffer)
  out[2] = info.code
  out[3] = shape.length
  shape.forEach((d, i) => view.setUint32(4 + 4 * i, d, false))
  const body = new Uint8Array(data.buffer, data.byteOffset, count * info.size)
  out.set(body, header)
  if (info.size > 1 && LITTLE_ENDIAN) swapBytes(out.subarray(header), info.size)
  return out
}
