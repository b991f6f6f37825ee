// Byte limits and the incremental IDX parser shared by every reader: Node streams (idx-stream.ts) and web streams
// (idx-web.ts). Browser-safe: no node:*.
import { IdxFormatError } from './errors'
import { idxHeaderLength, parseIdxHeader, type IdxHeader } from './idx-format'

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

export function tooLarge(name: string, detail: string): IdxFormatError {
  return new IdxFormatError('DATA_IDX_TOO_LARGE', name, `too large: ${detail}`)
}

/** Default of `maxBytes`: about 500 000 images of 28x28. */
export const DEFAULT_MAX_BYTES = 384 * 2 ** 20

/** Gives `bytes` taken by an abandoned file back to the budget of `limits`. */
export function releaseBudget(limits: IdxLimits, bytes: number): void {
  limits.budget.used = Math.max(0, limits.budget.used - bytes)
}

/** A complete IDX file as it arrived: the decoded header, its bytes, and the data still in big-endian order. */
export interface RawIdx {
  header: IdxHeader
  headerBytes: Uint8Array
  data: Uint8Array
}

/**
 * Parses IDX bytes as they arrive: the header first, then the data straight into one buffer of the header-declared
 * size. Nothing past the limits is kept; the caller stops feeding (and inflating) at the first error.
 */
export class IdxAccumulator {
  private header = new Uint8Array(0)
  private parsed: IdxHeader | undefined
  private data: Uint8Array | undefined
  private offset = 0
  /** Bytes taken so far (decompressed). */
  total = 0
  /** Bytes taken from the budget, for the caller to give back when the file fails. */
  charged = 0

  constructor(
    private readonly name: string,
    private readonly limits: IdxLimits,
    private readonly gzip: boolean,
  ) {}

  take(chunk: Uint8Array): void {
    this.total += chunk.length
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

  finish(): RawIdx {
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
    return { header, headerBytes: this.header, data: this.data! }
  }
}
