import { createHash } from 'node:crypto'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGunzip } from 'node:zlib'
import { MnistDataError } from './errors'
import { gzipError, idxArrayOf, isGzip, type IdxArray } from './idx'
import { compressedCap, IdxAccumulator, rawCap, releaseBudget, tooLarge, type IdxLimits } from './idx-accumulator'

export { compressedCap, rawCap, releaseBudget, type ByteBudget, type IdxLimits } from './idx-accumulator'

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

/** A Node Writable over IdxAccumulator that hashes the bytes on the way. */
class IdxSink extends Writable {
  private readonly acc: IdxAccumulator
  private readonly hash = createHash('sha256')
  result: StreamedIdx | undefined

  constructor(
    name: string,
    limits: IdxLimits,
    private readonly gzip: boolean,
  ) {
    super({ highWaterMark: 1 << 16 })
    this.acc = new IdxAccumulator(name, limits, gzip)
  }

  /** Bytes taken from the budget, for streamIdx to give back when the file fails. */
  get charged(): number {
    return this.acc.charged
  }

  override _write(chunk: Uint8Array, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    try {
      this.hash.update(chunk)
      this.acc.take(chunk)
      callback()
    } catch (error) {
      callback(error as Error)
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    try {
      const raw = this.acc.finish()
      const array = idxArrayOf(raw.header, raw.data)
      this.result = { array, sha256: this.hash.digest('hex'), gzip: this.gzip, charged: this.acc.charged }
      callback()
    } catch (error) {
      callback(error as Error)
    }
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
