// parseIdx and gunzipBytes: synchronous, with gzip inflated by node:zlib. Node entry only; the browser entry reads IDX
// with readIdx (idx-web.ts), which inflates with DecompressionStream.
import { gunzipSync } from 'node:zlib'
import { IdxFormatError } from './errors'
import { isGzip, parseRawIdx, type IdxArray } from './idx-format'

export {
  encodeIdx,
  idxArrayOf,
  idxHeaderLength,
  isGzip,
  parseIdxHeader,
  parseRawIdx,
  type IdxArray,
  type IdxData,
  type IdxDType,
  type IdxHeader,
} from './idx-format'

/** A zlib failure as an IdxFormatError naming `name`. Internal. */
export function gzipError(error: unknown, name: string, compressedLength: number): IdxFormatError {
  const code = (error as { code?: unknown }).code
  const message = error instanceof Error ? error.message : String(error)
  if (code === 'Z_BUF_ERROR') {
    return new IdxFormatError(
      'DATA_GZIP_TRUNCATED',
      name,
      `truncated gzip: expected a complete gzip stream, got ${compressedLength} bytes that end early (${message})`,
      { cause: error },
    )
  }
  return new IdxFormatError('DATA_GZIP_CORRUPT', name, `corrupt gzip: expected a valid gzip stream, got ${message}`, {
    cause: error,
  })
}

/** Inflates gzip bytes synchronously, turning zlib failures into IdxFormatError naming `name`. */
export function gunzipBytes(bytes: Uint8Array, name = '<bytes>'): Uint8Array {
  try {
    return gunzipSync(bytes)
  } catch (error) {
    throw gzipError(error, name, bytes.length)
  }
}

/**
 * Parses an IDX file (http://yann.lecun.com/exdb/mnist/ format): 2 zero bytes, a type code, the rank, then one
 * big-endian uint32 per dimension and the big-endian elements. Gzip input is detected by magic and inflated.
 * The returned `data` owns its own buffer (never aliases `bytes`), in host byte order.
 */
export function parseIdx(bytes: Uint8Array, name = '<bytes>'): IdxArray {
  const raw = isGzip(bytes) ? gunzipBytes(bytes, name) : bytes
  return parseRawIdx(raw, name)
}
