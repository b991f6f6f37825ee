// fetchMnist (the browser entry's loadMnist) against a local HTTP server on 127.0.0.1, on Node's own fetch,
// DecompressionStream and crypto.subtle: the same web APIs a page or a Web Worker has.
import { gunzipSync, gzipSync } from 'node:zlib'
import { afterEach, describe, expect, it } from 'vitest'
import { DATASETS, fetchMnist, type DownloadProgress } from '../src/index'
import { encodeIdx } from '../src/idx'
import { mirrorFiles, NAMES, startServer, type TestServer } from './server'

let servers: TestServer[] = []
afterEach(async () => {
  await Promise.all(servers.map((s) => s.close()))
  servers = []
})
async function server(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const s = await startServer(...args)
  servers.push(s)
  return s
}
const quick = { retryDelayMs: 1, timeoutMs: 5000 }

/** A tiny custom dataset as a mirror serves it: 6 + 2 images of 5x4. */
function toyFiles(): Map<string, Buffer> {
  const toy = new Map<string, Buffer>()
  for (const [prefix, count] of [
    ['train', 6],
    ['t10k', 2],
  ] as const) {
    const images = Uint8Array.from({ length: count * 5 * 4 }, (_, i) => i % 256)
    const labels = Uint8Array.from({ length: count }, (_, i) => i % 10)
    toy.set(
      `/${prefix}-images-idx3-ubyte.gz`,
      gzipSync(encodeIdx({ dtype: 'uint8', shape: [count, 5, 4], data: images })),
    )
    toy.set(`/${prefix}-labels-idx1-ubyte.gz`, gzipSync(encodeIdx({ dtype: 'uint8', shape: [count], data: labels })))
  }
  return toy
}
const toy = { dataset: 'custom', imageSize: 'any', ...quick } as const

describe('fetchMnist', () => {
  it('fetches, verifies and parses real MNIST, with progress per file', async () => {
    const s = await server((_req, _res, ctx) => ctx.serve())
    const progress: DownloadProgress[] = []
    const data = await fetchMnist({ mirror: s.url, onProgress: (p) => progress.push(p) })
    expect(data).toMatchObject({ dataset: 'mnist', dir: s.url, source: 'download', verified: true, notes: [] })
    expect([data.train.count, data.test.count, data.train.rows, data.train.cols]).toEqual([60000, 10000, 28, 28])
    // verified: every file hashed to its published SHA-256, so the bytes are the real ones.
    expect(Array.from(data.test.labels.subarray(0, 5))).toEqual([7, 2, 1, 0, 4])
    const last = progress.filter((p) => p.file === 'train-images-idx3-ubyte.gz').at(-1)!
    expect(last.bytes).toBe(mirrorFiles().get('/train-images-idx3-ubyte.gz')!.length)
    expect(last.total).toBe(last.bytes)
  })

  it('resolves a relative mirror against baseUrl and falls back to the raw file name on a 404', async () => {
    const raw = new Map([...toyFiles()].map(([path, gz]) => [`/app/data${path.slice(0, -3)}`, gunzipSync(gz)]))
    const s = await server((req, res, ctx) => {
      const body = raw.get(ctx.path)
      if (body) res.writeHead(200, { 'content-length': body.length }).end(body)
      else res.writeHead(404).end()
    })
    const data = await fetchMnist({ mirror: 'data', baseUrl: `${s.url}app/`, ...toy })
    expect(data).toMatchObject({ dir: `${s.url}app/data/`, train: { count: 6 }, test: { count: 2 } })
    expect(s.hits.get('/app/data/t10k-labels-idx1-ubyte.gz')).toBe(1)
    expect(s.hits.get('/app/data/t10k-labels-idx1-ubyte')).toBe(1)
  })

  it('throws ChecksumError when every mirror serves a changed file, and loads nothing', async () => {
    const labels = gunzipSync(mirrorFiles().get('/t10k-labels-idx1-ubyte.gz')!)
    labels[100] = (labels[100]! + 1) % 10
    const changed = gzipSync(labels)
    const s = await server((_req, res, ctx) => {
      const name = ctx.path.slice(ctx.path.lastIndexOf('/'))
      res.writeHead(200).end(name === '/t10k-labels-idx1-ubyte.gz' ? changed : mirrorFiles().get(name))
    })
    await expect(fetchMnist({ mirror: [s.url, `${s.url}b/`], ...quick })).rejects.toMatchObject({
      name: 'ChecksumError',
      code: 'DATA_CHECKSUM_MISMATCH',
      expected: DATASETS.mnist.sha256['t10k-labels-idx1-ubyte'],
    })
  })

  it('says so when a server answers with an HTML page (a dev server fallback)', async () => {
    const s = await server((_req, res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html>'))
    const error = await fetchMnist({ mirror: s.url, ...quick }).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'DownloadError', code: 'DATA_DOWNLOAD_FAILED' })
    expect((error as Error).message).toMatch(/served a file that failed verification/)
    expect((error as Error).message).toMatch(/HTML page \(content-type text\/html\)/)
    expect((error as Error).message).not.toMatch(/--|MNIST_DATA_DIR|pnpm/)
  })

  it('retries a 503, then goes on to the next mirror after a timeout', async () => {
    const files = toyFiles()
    const flaky = await server((_req, res, ctx) => res.writeHead(ctx.hit === 1 ? 503 : 200).end(files.get(ctx.path)))
    await expect(fetchMnist({ mirror: flaky.url, ...toy })).resolves.toMatchObject({ train: { count: 6 } })
    expect(NAMES.map((n) => flaky.hits.get(`/${n}.gz`))).toEqual([2, 2, 2, 2])

    const stalled = await server((_req, res) => res.writeHead(200).write(new Uint8Array([0x1f])))
    const good = await server((_req, res, ctx) => res.writeHead(200).end(files.get(ctx.path)))
    const data = await fetchMnist({ mirror: [stalled.url, good.url], ...toy, timeoutMs: 500 })
    expect(data.dir).toBe(good.url)
    expect(NAMES.map((n) => stalled.hits.get(`/${n}.gz`))).toEqual([1, 1, 1, 1])
  })

  it('fails with every try listed and the way out named as an option', async () => {
    const s = await server((_req, res) => res.writeHead(404).end())
    const error = await fetchMnist({ mirror: s.url, ...quick }).catch((e: unknown) => e)
    expect(error).toMatchObject({ name: 'DownloadError', code: 'DATA_DOWNLOAD_FAILED' })
    expect((error as { attempts: unknown[] }).attempts).toHaveLength(1)
    expect((error as Error).message).toMatch(/-ubyte.gz \(try 1\): HTTP 404 .*\(and for .*-ubyte.gz\)/)
    expect((error as Error).message).toMatch(/mirror option .*Access-Control-Allow-Origin/)
  })

  it('aborts with DATA_DOWNLOAD_ABORTED when the signal fires mid-download', async () => {
    const s = await server((_req, res) => res.writeHead(200).write(new Uint8Array([0x1f, 0x8b])))
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)
    await expect(fetchMnist({ mirror: s.url, signal: controller.signal, ...quick })).rejects.toMatchObject({
      code: 'DATA_DOWNLOAD_ABORTED',
    })
  })

  it('loads a custom dataset of any size with imageSize any, within maxBytes', async () => {
    const files = toyFiles()
    const s = await server((_req, res, ctx) => res.writeHead(200).end(files.get(ctx.path)))
    const data = await fetchMnist({ mirror: s.url, ...toy })
    expect(data).toMatchObject({ dataset: 'custom', verified: false, train: { count: 6, rows: 5, cols: 4 } })
    await expect(fetchMnist({ mirror: s.url, ...toy, maxBytes: 100 })).rejects.toMatchObject({
      code: 'DATA_DOWNLOAD_FAILED',
      message: expect.stringMatching(/too large/),
    })
  })

  it('calls the fetch option (default: the global fetch) as a plain function, as a browser requires', async () => {
    const files = toyFiles()
    const s = await server((_req, res, ctx) => res.writeHead(200).end(files.get(ctx.path)))
    const receivers = new Set<unknown>()
    const urls: string[] = []
    // A page's fetch throws "Illegal invocation" unless called with `this` undefined or the window.
    const strictFetch = function (this: unknown, input: RequestInfo | URL, init?: RequestInit): Promise<Response> {
      receivers.add(this)
      urls.push(String(input))
      return fetch(input, init)
    }
    await expect(fetchMnist({ mirror: s.url, ...toy, fetch: strictFetch })).resolves.toMatchObject({ dir: s.url })
    expect([...receivers]).toEqual([undefined])
    expect(urls.sort()).toEqual(NAMES.map((n) => `${s.url}${n}.gz`).sort())
  })

  it('checks its options before any request', async () => {
    await expect(fetchMnist({ mirror: '/mnist/' })).rejects.toMatchObject({
      code: 'DATA_BAD_OPTION',
      message: expect.stringMatching(/baseUrl option/),
    })
    await expect(fetchMnist({ mirror: 'ftp://x/' })).rejects.toMatchObject({ code: 'DATA_BAD_OPTION' })
    await expect(fetchMnist({ dataset: 'custom' })).rejects.toMatchObject({ code: 'DATA_BAD_OPTION' })
    await expect(fetchMnist({ mirror: 'http://127.0.0.1:9/', retries: -1 })).rejects.toMatchObject({
      code: 'DATA_BAD_OPTION',
    })
  })
})
