// readIdx: IDX from memory, a Blob, a fetch Response or a web stream, with gzip inflated by DecompressionStream and the
// SHA-256 taken by crypto.subtle. Browser-safe (web platform APIs only, which Node 20 has too): both entries export it.
import { ChecksumError, IdxFormatError, MnistDataError, OptionError } from './errors'
import {
  compressedCap,
  DEFAULT_MAX_BYTES,
  IdxAccumulator,
  rawCap,
  releaseBudget,
  tooLarge,
  type IdxLimits,
} from './idx-accumulator'
import { idxArrayOf, isGzip, type IdxArray } from './idx-format'

/** What `readIdx` reads: bytes in memory, a Blob / File, a fetch Response (its body) or a byte stream. */
export type IdxSource = ArrayBuffer | ArrayBufferView | Blob | Response | ReadableStream<Uint8Array>

export interface ReadIdxOptions {
  /** Names the input in errors (a file name or URL). Default `<bytes>`. */
  name?: string
  /** Expected SHA-256 (hex) of the decompressed file; a different one throws ChecksumError (`DATA_CHECKSUM_MISMATCH`). */
  sha256?: string
  /** Most decompressed data bytes the header may declare (default 384 MiB); a gzip bomb stops at this cap. */
  maxBytes?: number
  /** Exact decompressed size (header included) when known: anything else is refused as soon as the header says so. */
  exactBytes?: number
  /** Stops reading (the error is the signal's reason, as fetch does). */
  signal?: AbortSignal
}

/** A file read by `readIdx`. */
export interface ReadIdxResult {
  array: IdxArray
  /** SHA-256 (hex) of the decompressed file, header included: what `DATASETS[name].sha256` lists. */
  sha256: string
  /** Whether the input was gzip. */
  gzip: boolean
}

/** Internal form of the options: limits shared by the four files of one load. */
export interface ReadIdxInternal {
  name: string
  limits: IdxLimits
  sha256?: string | undefined
  signal?: AbortSignal | undefined
  /** Called with the compressed (as received) byte count after every chunk. */
  onBytes?: (bytes: number) => void
}

function toStream(source: IdxSource): ReadableStream<Uint8Array> {
  if (source instanceof ReadableStream) return source
  if (typeof Response !== 'undefined' && source instanceof Response) {
    if (source.body === null) return new Blob([]).stream()
    return source.body
  }
  if (typeof Blob !== 'undefined' && source instanceof Blob) return source.stream()
  const bytes = ArrayBuffer.isView(source)
    ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength)
    : new Uint8Array(source as ArrayBuffer)
  return new ReadableStream<Uint8Array>({
    start(controller) {
      if (bytes.length > 0) controller.enqueue(bytes)
      controller.close()
    },
  })
}

/** Counts (and caps) the compressed bytes before they reach the decompressor. */
function counter(name: string, max: number, gzip: boolean, onBytes?: (n: number) => void): TransformStream {
  let bytes = 0
  return new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      bytes += chunk.length
      if (gzip && bytes > max) throw tooLarge(name, `expected at most ${max} compressed bytes, got more`)
      onBytes?.(bytes)
      controller.enqueue(chunk)
    },
  })
}

/** An error of the source itself (a network failure mid-body): passed on unchanged, never taken for bad gzip. */
class SourceFailure extends Error {}

/** DecompressionStream's failures (zlib errors in Node, TypeErrors in browsers) as IdxFormatErrors. */
function inflateError(error: unknown, name: string): IdxFormatError {
  const message = error instanceof Error ? error.message : String(error)
  const code = (error as { code?: unknown }).code
  if (code === 'Z_BUF_ERROR' || /trunc|unexpected end|premature|incomplete/i.test(message)) {
    return new IdxFormatError(
      'DATA_GZIP_TRUNCATED',
      name,
      `truncated gzip: expected a complete gzip stream, got one that ends early (${message})`,
      { cause: error },
    )
  }
  return new IdxFormatError('DATA_GZIP_CORRUPT', name, `corrupt gzip: expected a valid gzip stream, got ${message}`, {
    cause: error,
  })
}

/** The first two bytes (the gzip magic, or not) without losing them: returns them and a stream that replays them. */
async function peek(stream: ReadableStream<Uint8Array>): Promise<{ head: Uint8Array; rest: ReadableStream }> {
  const reader = stream.getReader()
  const chunks: Uint8Array[] = []
  let length = 0
  let done = false
  while (length < 2 && !done) {
    const next = await reader.read()
    if (next.done) done = true
    else if (next.value.length > 0) {
      chunks.push(next.value)
      length += next.value.length
    }
  }
  const head = new Uint8Array(Math.min(length, 2))
  let at = 0
  for (const chunk of chunks) {
    const part = chunk.subarray(0, head.length - at)
    head.set(part, at)
    at += part.length
  }
  const rest = new ReadableStream<Uint8Array>({
    pull: async (controller) => {
      const chunk = chunks.shift()
      if (chunk) return controller.enqueue(chunk)
      const next = done
        ? { done: true as const }
        : await reader.read().catch((error: unknown) => {
            throw new SourceFailure('source failed', { cause: error })
          })
      if (next.done) controller.close()
      else controller.enqueue(next.value)
    },
    cancel: (reason) => reader.cancel(reason),
  })
  return { head, rest }
}

async function sha256Hex(raw: { headerBytes: Uint8Array; data: Uint8Array }): Promise<string> {
  const all = new Uint8Array(raw.headerBytes.length + raw.data.length)
  all.set(raw.headerBytes)
  all.set(raw.data, raw.headerBytes.length)
  const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', all))
  return Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('')
}

/** Feeds `stream` into `acc` until it ends, the signal fires or the accumulator refuses a chunk (then cancels it). */
async function drain(stream: ReadableStream<Uint8Array>, acc: IdxAccumulator, signal?: AbortSignal): Promise<void> {
  const reader = stream.getReader()
  const onAbort = (): void => void reader.cancel(signal?.reason).catch(() => undefined)
  signal?.addEventListener('abort', onAbort, { once: true })
  try {
    for (;;) {
      signal?.throwIfAborted()
      const next = await reader.read()
      signal?.throwIfAborted()
      if (next.done) return
      acc.take(next.value)
    }
  } catch (error) {
    await reader.cancel(error).catch(() => undefined)
    throw error
  } finally {
    signal?.removeEventListener('abort', onAbort)
  }
}

/** readIdx with limits shared across files (fetchMnist's four files draw from one budget). Internal. */
export async function readIdxWithin(source: IdxSource, o: ReadIdxInternal): Promise<ReadIdxResult> {
  o.signal?.throwIfAborted()
  const { head, rest } = await peek(toStream(source))
  const gzip = isGzip(head)
  const maxCompressed = compressedCap(rawCap(o.limits))
  let stream = rest.pipeThrough(counter(o.name, maxCompressed, gzip, o.onBytes))
  if (gzip) stream = stream.pipeThrough(new DecompressionStream('gzip') as unknown as TransformStream)
  const acc = new IdxAccumulator(o.name, o.limits, gzip)
  let raw
  try {
    await drain(stream, acc, o.signal)
    raw = acc.finish()
  } catch (error) {
    releaseBudget(o.limits, acc.charged)
    if (error instanceof SourceFailure) throw error.cause
    if (error instanceof MnistDataError || o.signal?.aborted) throw error
    if (gzip) throw inflateError(error, o.name)
    throw error
  }
  const sha256 = await sha256Hex(raw)
  if (o.sha256 !== undefined && sha256 !== o.sha256) {
    releaseBudget(o.limits, acc.charged)
    throw new ChecksumError(o.name, o.sha256, sha256, 'The input is not the published file.')
  }
  return { array: idxArrayOf(raw.header, raw.data), sha256, gzip }
}

/**
 * Reads one IDX file, raw or gzip (told apart by its first bytes), from memory, a Blob, a fetch Response or a byte
 * stream. Gzip is inflated with DecompressionStream as it streams, within `maxBytes` (or `exactBytes`): a
 * decompression bomb stops at the cap. The SHA-256 of the decompressed file is always computed (crypto.subtle) and,
 * with `sha256`, checked. Works in browsers, Web Workers and Node 20+.
 */
export async function readIdx(source: IdxSource, options: ReadIdxOptions = {}): Promise<ReadIdxResult> {
  const limit = options.maxBytes ?? DEFAULT_MAX_BYTES
  if (!Number.isSafeInteger(limit) || limit < 0) {
    throw new OptionError('maxBytes', `expected a non-negative integer, got ${String(options.maxBytes)}`)
  }
  return readIdxWithin(source, {
    name: options.name ?? '<bytes>',
    limits: {
      budget: { limit, used: 0 },
      ...(options.exactBytes !== undefined
        ? { exactBytes: options.exactBytes, exactWhat: 'the exactBytes option' }
        : {}),
    },
    sha256: options.sha256,
    signal: options.signal,
  })
}
