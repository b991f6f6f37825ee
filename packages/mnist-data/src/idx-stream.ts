import { createHash } from 'node:crypto'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import { IdxFormatError, MnistDataError } from './errors'
import { gzipError, idxArrayOf, idxHeaderLength, isGzip, parseIdxHeader, type IdxArray, type IdxHeader } from './idx'

/** Decompressed bytes one load may hold: every file's header-declared data size is drawn from it. */
export interface ByteBudget {
  limit: number
  used: number
}

/** What one file may hold. */
export interface IdxLimits {
  /** Exact decompressed size, header included, when known (the published file of a built-in dataset). */
  exactBytes?: number
  /** What that size is, for messages: e.g. `the published mnist train-images-idx3-ubyte`. */
  exactWhat?: string
  budget: ByteBudget
}

/** A file parsed while it streamed in. */
export interface StreamedIdx {
  array: IdxArray
  /** SHA-256 (hex) of the decompressed file, header included. */
  sha256: string
  /** Whether the input was gzip. */
  gzip: boolean
  /** Bytes this file took from the budget (0 when its exact size was known); give them back if it is abandoned. */
  charged: number
}

/** Most an IDX header can be: 4 bytes, then 4 per dimension, at most 255 of them. */
const MAX_HEADER = 4 + 4 * 255

/** Most decompressed bytes a file may have under `limits`. */
export function rawCap(limits: IdxLimits): number {
  return limits.exactBytes ?? MAX_HEADER + Math.max(0, limits.budget.limit - limits.budget.used)
}

/**
 * Most compressed bytes that can inflate to `raw` bytes: deflate's stored blocks add 5 bytes per 64 KiB, and the gzip
 * header and trailer a few more (a megabyte of slack covers any sane file name or comment field).
 */
export function compressedCap(raw: number): number {
  return raw + Math.ceil(raw / 1024) + 2 ** 20
}

function tooLarge(name: string, detail: string): IdxFormatError {
  return new IdxFormatError('DATA_IDX_TOO_LARGE', name, `too large: ${detail}`)
}

/**
 * Parses IDX bytes as they arrive: the header first, then the data straight into one buffer of the header-declared
 * size. Nothing past the limits is kept (or even inflated, when upstream of a gunzip stream), and the data is hashed
 * on the way.
 */
class IdxSink extends Writable {
  private header = new Uint8Array(0)
  private parsed: IdxHeader | undefined
  private data: Uint8Array | undefined
  private offset = 0
  private total = 0
  private readonly hash = createHash('sha256')
  result: StreamedIdx | undefined
  /** Bytes taken from the budget, for streamIdx to give back when the file fails. */
  charged = 0

  constructor(
    private readonly name: string,
    private readonly limits: IdxLimits,
    private readonly gzip: boolean,
  ) {
    super({ highWaterMark: 1 << 16 })
  }

  override _write(chunk: Uint8Array, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      this.take(chunk)
      callback()
    } catch (error) {
      callback(error as Error)
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    try {
      this.finish()
      callback()
    } catch (error) {
      callback(error as Error)
    }
  }

  private take(chunk: Uint8Array): void {
    this.total += chunk.length
    this.hash.update(chunk)
    let at = 0
    while (!this.parsed && at < chunk.length) {
      const need = idxHeaderLength(this.header)
      const part = chunk.subarray(at, at + need - this.header.length)
      at += part.length
      const grown = new Uint8Array(this.header.length + part.length)
      grown.set(this.header)
      grown.set(part, this.header.length)
      this.header = grown
      if (this.header.length >= 4 && this.header.length === idxHeaderLength(this.header)) this.accept()
    }
    if (!this.parsed || at === chunk.length) return
    const rest = chunk.subarray(at)
    const { dataLength, dtype, shape } = this.parsed
    if (this.offset + rest.length > dataLength) {
      throw new IdxFormatError(
        'DATA_IDX_TRAILING_BYTES',
        this.name,
        `trailing bytes: expected ${dataLength} bytes of ${dtype} data for shape [${shape.join(', ')}], got more ` +
          `(stopped reading at ${this.parsed.headerLength + this.offset + rest.length} bytes` +
          `${this.gzip ? ' inflated' : ''})`,
      )
    }
    this.data!.set(rest, this.offset)
    this.offset += rest.length
  }

  /**
   * The header is complete: check it against the limits, then take the data buffer out of the budget. A file of known
   * exact size is bounded by that size alone: the budget is for files whose size nothing else bounds.
   */
  private accept(): void {
    const header = parseIdxHeader(this.header, this.name)
    const size = header.headerLength + header.dataLength
    const shape = `[${header.shape.join(', ')}] of ${header.dtype}`
    const { exactBytes, exactWhat, budget } = this.limits
    if (exactBytes !== undefined) {
      if (size > exactBytes) {
        throw tooLarge(
          this.name,
          `the header declares ${shape} (${size} bytes), expected ${exactBytes} bytes (${exactWhat})`,
        )
      }
      this.data = new Uint8Array(header.dataLength)
      this.parsed = header
      return
    }
    if (header.dataLength > budget.limit - budget.used) {
      throw tooLarge(
        this.name,
        `the header declares ${shape} (${header.dataLength} bytes of data), ` +
          `expected at most ${budget.limit} bytes for ` +
          `all four files together (maxBytes), ${budget.used} of them already taken`,
      )
    }
    budget.used += header.dataLength
    this.charged = header.dataLength
    this.data = new Uint8Array(header.dataLength)
    this.parsed = header
  }

  private finish(): void {
    if (this.total === 0) {
      const what = this.gzip ? 'the gzip stream inflates to 0 bytes' : 'the file has 0 bytes'
      throw new IdxFormatError('DATA_IDX_EMPTY', this.name, `empty file: expected an IDX file, ${what}`)
    }
    // An incomplete header: parseIdxHeader names what is missing.
    const header = this.parsed ?? parseIdxHeader(this.header, this.name)
    if (this.offset < header.dataLength) {
      throw new IdxFormatError(
        'DATA_IDX_TRUNCATED_DATA',
        this.name,
        `truncated: expected ${header.dataLength} bytes of ${header.dtype} data ` +
          `for shape [${header.shape.join(', ')}], ` +
          `got ${this.offset}`,
      )
    }
    const array = idxArrayOf(header, this.data!)
    this.result = { array, sha256: this.hash.digest('hex'), gzip: this.gzip, charged: this.charged }
  }
}

/**
 * Parses one IDX file, raw or gzip (told apart by the first two bytes), from `source` without holding more than the
 * limits allow: the output of gunzip stops at the cap, so a decompression bomb costs a few megabytes and fails
 * within the first ones. Errors are IdxFormatErrors naming `name`; errors of `source` itself pass through unchanged.
 */
export async function streamIdx(
  source: AsyncIterable<Uint8Array>,
  name: string,
  limits: IdxLimits,
): Promise<StreamedIdx> {
  const iterator = source[Symbol.asyncIterator]()
  const head: Uint8Array[] = []
  let headBytes = 0
  let ended = false
  while (headBytes < 2 && !ended) {
    const next = await iterator.next()
    if (next.done) ended = true
    else {
      head.push(next.value)
      headBytes += next.value.length
    }
  }
  const first = new Uint8Array(Math.min(headBytes, 2))
  let filled = 0
  for (const chunk of head) {
    const part = chunk.subarray(0, first.length - filled)
    first.set(part, filled)
    filled += part.length
  }
  const gzip = isGzip(first)
  const maxCompressed = compressedCap(rawCap(limits))
  let compressed = 0
  async function* replay(): AsyncGenerator<Uint8Array> {
    try {
      for (const chunk of head) yield chunk
      while (!ended) {
        const next = await iterator.next()
        if (next.done) break
        compressed += next.value.length
        if (gzip && compressed > maxCompressed) {
          throw tooLarge(name, `expected at most ${maxCompressed} compressed bytes, got more`)
        }
        yield next.value
      }
    } finally {
      await iterator.return?.()
    }
  }
  compressed = headBytes
  const sink = new IdxSink(name, limits, gzip)
  try {
    if (gzip) await pipeline(replay(), createGunzip({ chunkSize: 1 << 16 }), sink)
    else await pipeline(replay(), sink)
  } catch (error) {
    // A failed file holds nothing: its share of the budget goes back, so retries of a truncated download do not
    // use it up.
    releaseBudget(limits, sink.charged)
    if (error instanceof MnistDataError) throw error
    const code = (error as { code?: unknown }).code
    if (gzip && typeof code === 'string' && code.startsWith('Z_')) throw gzipError(error, name, compressed)
    throw error
  }
  return sink.result!
}

/** Gives `bytes` taken by an abandoned file back to the budget of `limits`. */
export function releaseBudget(limits: IdxLimits, bytes: number): void {
  limits.budget.used = Math.max(0, limits.budget.used - bytes)
}
