import { createHash } from 'node:crypto'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import { encodeIdx } from './idx-format'
import { readIdx } from './idx-web'

const images = encodeIdx({ dtype: 'uint8', shape: [3, 2, 2], data: Uint8Array.from({ length: 12 }, (_, i) => i * 20) })
const sha = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex')

/** A stream that hands out `bytes` in chunks of `size`. */
function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close()
      controller.enqueue(bytes.slice(at, at + size))
      at += size
    },
  })
}

/** An IDX header for uint8 data of `shape`, with no data after it. */
function header(shape: number[]): Uint8Array {
  const out = new Uint8Array(4 + 4 * shape.length)
  out[2] = 0x08
  out[3] = shape.length
  shape.forEach((d, i) => new DataView(out.buffer).setUint32(4 + 4 * i, d))
  return out
}

describe('readIdx', () => {
  const gz = gzipSync(images)
  const sources: Array<[string, () => unknown]> = [
    ['Uint8Array', () => images],
    ['ArrayBuffer', () => images.slice().buffer],
    ['DataView over part of a buffer', () => new DataView(Uint8Array.from([9, ...images, 9]).buffer, 1, images.length)],
    ['gzip Uint8Array', () => gz],
    ['gzip Blob', () => new Blob([gz])],
    ['gzip Response', () => new Response(gz)],
    ['gzip stream of 1-byte chunks', () => chunked(gz, 1)],
    ['raw stream of 1-byte chunks', () => chunked(images, 1)],
  ]
  it.each(sources)('parses %s and hashes the decompressed file', async (_, make) => {
    const read = await readIdx(make() as Uint8Array)
    expect(read.array.shape).toEqual([3, 2, 2])
    expect(Array.from(read.array.data)).toEqual(Array.from({ length: 12 }, (_, i) => i * 20))
    expect(read.sha256).toBe(sha(images))
  })

  it('reads multi-byte dtypes into host byte order', async () => {
    const data = Float64Array.from([1.5, -2, Math.PI])
    const read = await readIdx(gzipSync(encodeIdx({ dtype: 'float64', shape: [3], data })))
    expect(read.array.dtype).toBe('float64')
    expect(Array.from(read.array.data)).toEqual([1.5, -2, Math.PI])
  })

  it('checks an expected SHA-256', async () => {
    await expect(readIdx(images, { sha256: sha(images) })).resolves.toMatchObject({ gzip: false })
    await expect(readIdx(images, { sha256: '0'.repeat(64), name: 'x.idx' })).rejects.toMatchObject({
      code: 'DATA_CHECKSUM_MISMATCH',
      file: 'x.idx',
      actual: sha(images),
    })
  })

  it('refuses a header that declares more than maxBytes before allocating it', async () => {
    const bomb = gzipSync(header([4000, 1000, 1000]))
    await expect(readIdx(bomb)).rejects.toMatchObject({ code: 'DATA_IDX_TOO_LARGE' })
    await expect(readIdx(images, { maxBytes: 11 })).rejects.toMatchObject({ code: 'DATA_IDX_TOO_LARGE' })
  })

  it('stops inflating a gzip bomb at the declared size', async () => {
    // 10 data bytes declared, 32 MiB of zeros behind them: fails at the first chunk past the 10 bytes.
    const body = new Uint8Array(32 * 2 ** 20)
    body.set(header([10]))
    const bomb = gzipSync(body, { level: 9 })
    const started = performance.now()
    await expect(readIdx(bomb)).rejects.toMatchObject({ code: 'DATA_IDX_TRAILING_BYTES' })
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('refuses more compressed bytes than can inflate to exactBytes', async () => {
    const stored = gzipSync(
      new Uint8Array(3 * 2 ** 20).map((_, i) => (i * 2654435761) >>> 24),
      { level: 0 },
    )
    await expect(readIdx(stored, { exactBytes: 20 })).rejects.toMatchObject({ code: 'DATA_IDX_TOO_LARGE' })
  })

  it('names truncated and corrupt gzip, and empty input', async () => {
    await expect(readIdx(gz.subarray(0, gz.length - 6))).rejects.toMatchObject({ code: 'DATA_GZIP_TRUNCATED' })
    const corrupt = Uint8Array.from(gz)
    corrupt.fill(0xff, 10, 30)
    await expect(readIdx(corrupt, { name: 'c.gz' })).rejects.toMatchObject({ code: 'DATA_GZIP_CORRUPT', file: 'c.gz' })
    await expect(readIdx(new Uint8Array(0))).rejects.toMatchObject({ code: 'DATA_IDX_EMPTY' })
    await expect(readIdx(gzipSync(new Uint8Array(0)))).rejects.toMatchObject({ code: 'DATA_IDX_EMPTY' })
  })

  it('passes an error of the source on unchanged (not taken for bad gzip)', async () => {
    const failure = new TypeError('terminated')
    let sent = false
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent) return controller.error(failure)
        sent = true
        controller.enqueue(gz.subarray(0, 10))
      },
    })
    await expect(readIdx(stream)).rejects.toBe(failure)
  })

  it('stops on an aborted signal with its reason', async () => {
    const controller = new AbortController()
    const reason = new Error('stop')
    controller.abort(reason)
    await expect(readIdx(images, { signal: controller.signal })).rejects.toBe(reason)
  })

  it('checks maxBytes', async () => {
    await expect(readIdx(images, { maxBytes: -1 })).rejects.toMatchObject({ code: 'DATA_BAD_OPTION' })
  })
})
