import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { ChecksumError, DownloadError } from '../src/errors'
import { encodeIdx } from '../src/idx'
import { loadMnist, type LoadMnistOptions } from '../src/load'
import { gzipSync } from 'node:zlib'
import { NAMES, mirrorFiles, startServer, type TestServer } from './server'

const LABELS = '/train-labels-idx1-ubyte.gz'
let root: string
let cacheDir: string
const servers: TestServer[] = []

async function server(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const s = await startServer(...args)
  servers.push(s)
  return s
}

beforeEach(() => {
  mirrorFiles()
  root = mkdtempSync(join(tmpdir(), 'mnist-dl-'))
  cacheDir = join(root, 'cache')
  // Downloads must come from the test's own server, never from MNIST_DATA_DIR or the real mirrors.
  vi.stubEnv('MNIST_DATA_DIR', '')
  vi.stubEnv('MNIST_MIRROR', '')
  vi.stubEnv('MNIST_CACHE_DIR', '')
})
afterEach(async () => {
  vi.unstubAllEnvs()
  await Promise.all(servers.splice(0).map((s) => s.close()))
  rmSync(root, { recursive: true, force: true })
})

const fast: LoadMnistOptions = { retries: 2, retryDelayMs: 5, timeoutMs: 5000 }

function cacheListing(): string[] {
  const dir = join(cacheDir, 'mnist')
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((e) => e !== '.lock')
        .sort()
    : []
}

function expectComplete(data: Awaited<ReturnType<typeof loadMnist>>): void {
  expect(data.train.count).toBe(60000)
  expect(data.test.count).toBe(10000)
  expect(cacheListing()).toEqual(NAMES.map((n) => `${n}.gz`).sort())
}

describe('downloads against a local mirror', () => {
  it('downloads, verifies, caches, reports progress, then loads from the cache', async () => {
    const s = await server((_req, _res, ctx) => ctx.serve())
    const progress = new Map<string, { bytes: number; total?: number }>()
    const data = await loadMnist({ ...fast, cacheDir, mirror: s.url, onProgress: (p) => progress.set(p.file, p) })
    expect(data).toMatchObject({ source: 'download', verified: true, dir: join(cacheDir, 'mnist') })
    expectComplete(data)
    const size = mirrorFiles().get('/train-images-idx3-ubyte.gz')!.length
    expect(progress.get('train-images-idx3-ubyte.gz')).toEqual({
      file: 'train-images-idx3-ubyte.gz',
      bytes: size,
      total: size,
    })
    const again = await loadMnist({ cacheDir, mirror: s.url })
    expect(again.source).toBe('cache')
    expect([...s.hits.values()]).toEqual([1, 1, 1, 1])

    // A partial cache: only the missing file is fetched.
    rmSync(join(cacheDir, 'mnist', 't10k-labels-idx1-ubyte.gz'))
    const partial = await loadMnist({ cacheDir, mirror: s.url })
    expect(partial.source).toBe('download')
    expect(Object.fromEntries(s.hits)).toMatchObject({
      '/train-images-idx3-ubyte.gz': 1,
      '/t10k-labels-idx1-ubyte.gz': 2,
    })
  })

  it('first mirror 404, second mirror succeeds', async () => {
    const dead = await server((_req, res) => res.writeHead(404).end())
    const good = await server((_req, _res, ctx) => ctx.serve())
    // Several mirrors through MNIST_MIRROR (whitespace-separated), in order.
    vi.stubEnv('MNIST_MIRROR', `${dead.url} ${good.url}`)
    expectComplete(await loadMnist({ ...fast, cacheDir }))
    // 404 is final for that mirror: no retries against it.
    expect([...dead.hits.values()]).toEqual([1, 1, 1, 1])
    expect([...good.hits.values()]).toEqual([1, 1, 1, 1])
  })

  it('500, then success on retry', async () => {
    const s = await server((_req, res, ctx) => (ctx.hit === 1 ? res.writeHead(500).end('boom') : ctx.serve()))
    expectComplete(await loadMnist({ ...fast, cacheDir, mirror: s.url }))
    expect([...s.hits.values()]).toEqual([2, 2, 2, 2])
  })

  it('connection reset mid-body, then success', async () => {
    const s = await server((_req, res, ctx) => {
      if (ctx.hit > 1) return ctx.serve()
      res.writeHead(200, { 'content-length': ctx.file!.length })
      res.write(ctx.file!.subarray(0, ctx.file!.length >> 1), () => res.socket?.resetAndDestroy())
    })
    expectComplete(await loadMnist({ ...fast, cacheDir, mirror: s.url }))
    expect([...s.hits.values()]).toEqual([2, 2, 2, 2])
  })

  it('truncated body: retried, and an error naming the reason when it never completes', async () => {
    const truncate = (res: Parameters<Parameters<typeof startServer>[0]>[1], file: Buffer): void => {
      // Chunked, ends cleanly: only the gzip stream shows the loss.
      res.writeHead(200, { 'content-type': 'application/gzip' })
      res.end(file.subarray(0, file.length - 100))
    }
    const s = await server((_req, res, ctx) => (ctx.hit === 1 ? truncate(res, ctx.file!) : ctx.serve()))
    expectComplete(await loadMnist({ ...fast, cacheDir, mirror: s.url }))
    expect(s.hits.get(LABELS)).toBe(2)

    rmSync(cacheDir, { recursive: true })
    const always = await server((_req, res, ctx) => truncate(res, ctx.file!))
    const error = await loadMnist({ ...fast, retries: 1, cacheDir, mirror: always.url }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DownloadError)
    expect((error as DownloadError).code).toBe('DATA_DOWNLOAD_FAILED')
    expect((error as DownloadError).attempts).toHaveLength(2)
    // Every failed download says how to work offline.
    expect((error as DownloadError).message).toContain('offline? point MNIST_DATA_DIR (or the dataDir option)')
    // A library names its options and environment, never CLI flags.
    expect((error as DownloadError).message).not.toContain('--')
    expect((error as Error).message).toContain('train-images-idx3-ubyte')
    expect((error as Error).message).toContain('truncated gzip')
    expect(cacheListing()).toEqual([])
  })

  it('a built-in download is bounded by the published sizes, not maxBytes: truncated retries use nothing up', async () => {
    const s = await server((_req, res, ctx) => {
      if (ctx.hit > 2) return ctx.serve()
      res.writeHead(200, { 'content-type': 'application/gzip' })
      res.end(ctx.file!.subarray(0, ctx.file!.length - 100))
    })
    // Far below one file: the budget is only for files whose size nothing else bounds.
    expectComplete(await loadMnist({ ...fast, maxBytes: 1000, cacheDir, mirror: s.url }))
    expect([...s.hits.values()]).toEqual([3, 3, 3, 3])
  })

  it('wrong payload: checksum error, and the cache holds no bad file', async () => {
    const wrong = gzipSync(encodeIdx({ dtype: 'uint8', shape: [3], data: Uint8Array.from([1, 2, 3]) }))
    const s = await server((_req, res, ctx) => {
      if (ctx.path !== LABELS) return ctx.serve()
      res.writeHead(200, { 'content-length': wrong.length }).end(wrong)
    })
    const error = await loadMnist({ ...fast, cacheDir, mirror: s.url }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ChecksumError)
    expect((error as ChecksumError).expected).toBe('65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5')
    expect((error as Error).message).toContain('train-labels-idx1-ubyte.gz')
    expect((error as Error).message).toContain('nothing was written')
    // A wrong payload is not retried against the same mirror.
    expect(s.hits.get(LABELS)).toBe(1)
    // Only the verified file that came before it; no labels, no temp files.
    expect(cacheListing()).toEqual(['train-images-idx3-ubyte.gz'])
  })

  it('stalled server: times out (headers sent, then silence; or no answer at all)', async () => {
    const silentBody = await server((_req, res, ctx) => {
      res.writeHead(200, { 'content-length': ctx.file!.length })
      res.write(ctx.file!.subarray(0, 1000))
    })
    const noAnswer = await server(() => undefined)
    const started = Date.now()
    const error = await loadMnist({
      cacheDir,
      mirror: [silentBody.url, noAnswer.url],
      timeoutMs: 200,
      retries: 1,
      retryDelayMs: 5,
    }).catch((e: unknown) => e)
    expect(Date.now() - started).toBeLessThan(3000)
    expect(error).toBeInstanceOf(DownloadError)
    const attempts = (error as DownloadError).attempts
    // A timeout is not retried against the same mirror (retries: 1 notwithstanding): a stalled mirror costs one.
    expect(attempts.map((a) => [a.url.startsWith(silentBody.url) ? 'silent' : 'none', a.reason])).toEqual([
      ['silent', 'timeout: no data for 200 ms'],
      ['none', 'timeout: no data for 200 ms'],
    ])
    expect(cacheListing()).toEqual([])
  })

  it('a host name that does not resolve is tried once, and the error leads with the offline hint', async () => {
    // `.invalid` never resolves (RFC 6761): the resolver answers ENOTFOUND (or EAI_AGAIN without DNS at all).
    const started = Date.now()
    const mirror = ['http://mnist.invalid/', 'http://other.mnist.invalid/']
    const error = await loadMnist({ cacheDir, mirror, retries: 3, retryDelayMs: 20_000 }).catch((e: unknown) => e)
    // No backoff: one 20 s delay would time the test out.
    expect(Date.now() - started).toBeLessThan(10_000)
    expect(error).toBeInstanceOf(DownloadError)
    const { attempts, message } = error as DownloadError
    expect((error as DownloadError).code).toBe('DATA_DOWNLOAD_FAILED')
    // One try per mirror, not retries + 1.
    expect(attempts.map((a) => [a.url.replace(/idx\d-ubyte\.gz$/, ''), a.attempt])).toEqual([
      ['http://mnist.invalid/train-images-', 1],
      ['http://other.mnist.invalid/train-images-', 1],
    ])
    expect(attempts[0]!.reason).toMatch(/ENOTFOUND|EAI_AGAIN/)
    // The hint comes before the list of tries.
    const hint = message.indexOf('Offline? point MNIST_DATA_DIR (or the dataDir option) at a folder with the four')
    expect(hint).toBeGreaterThan(0)
    expect(hint).toBeLessThan(message.indexOf('http://mnist.invalid/'))
    expect(message).toMatch(/^\[@mnist\/data\] train-images-idx3-ubyte: download failed, a mirror's host name did not/)
    expect(cacheListing()).toEqual([])
  })

  it('an unresolvable mirror is skipped after one try; the next one is retried as usual', async () => {
    const flaky = await server((_req, res, ctx) => (ctx.hit === 1 ? res.writeHead(503).end() : ctx.serve()))
    expectComplete(await loadMnist({ ...fast, cacheDir, mirror: ['http://mnist.invalid/', flaky.url] }))
    // A 503 is still retried (once here, then served).
    expect([...flaky.hits.values()]).toEqual([2, 2, 2, 2])

    rmSync(cacheDir, { recursive: true })
    const down = await server((_req, res) => res.writeHead(500).end())
    const mirror = ['http://mnist.invalid/', down.url]
    const error = await loadMnist({ ...fast, cacheDir, mirror }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DownloadError)
    const attempts = (error as DownloadError).attempts
    // 1 try of the name that does not resolve, retries + 1 of the server that answers 500.
    expect(attempts.map((a) => a.url.startsWith(down.url))).toEqual([false, true, true, true])
    expect(attempts.slice(1).map((a) => a.reason)).toEqual(Array(3).fill('HTTP 500 Internal Server Error'))
    expect((error as Error).message.indexOf('Offline?')).toBeLessThan((error as Error).message.indexOf(down.url))
  })

  it('servers that answer keep the hint after the list of tries (they are reachable: not offline)', async () => {
    const down = await server((_req, res) => res.writeHead(500).end())
    const error = await loadMnist({ ...fast, retries: 0, cacheDir, mirror: down.url }).catch((e: unknown) => e)
    const message = (error as DownloadError).message
    expect(message).toMatch(/download failed from every mirror .*got 1 failed try\)/)
    expect(message.indexOf('offline? point MNIST_DATA_DIR')).toBeGreaterThan(message.indexOf(down.url))
  })

  it('abort signal stops a download with a typed error', async () => {
    const s = await server(() => undefined)
    const controller = new AbortController()
    setTimeout(() => controller.abort(), 100)
    const error = await loadMnist({ cacheDir, mirror: s.url, signal: controller.signal }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DownloadError)
    expect((error as DownloadError).code).toBe('DATA_DOWNLOAD_ABORTED')
    expect(cacheListing()).toEqual([])
  })

  it('an abort during the backoff between tries rejects at once, and no further request is made', async () => {
    const controller = new AbortController()
    const s = await server((_req, res) => {
      res.writeHead(500).end('boom')
      // The first try has failed: abort while the downloader waits out its (long) backoff.
      setTimeout(() => controller.abort(), 50)
    })
    const started = Date.now()
    const error = await loadMnist({
      cacheDir,
      mirror: s.url,
      retries: 3,
      retryDelayMs: 2000,
      signal: controller.signal,
    })
      .then(() => undefined)
      .catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DownloadError)
    expect((error as DownloadError).code).toBe('DATA_DOWNLOAD_ABORTED')
    expect(Date.now() - started).toBeLessThan(1000)
    // Give a request that should not be made the time to arrive.
    await new Promise((resolve) => setTimeout(resolve, 300))
    expect([...s.hits.values()]).toEqual([1])
    expect(cacheListing()).toEqual([])
  })
})

describe('two processes filling one empty cache', () => {
  let bundle: string
  let bundleDir: string
  beforeAll(async () => {
    bundleDir = mkdtempSync(join(tmpdir(), 'mnist-bundle-'))
    bundle = join(bundleDir, 'mnist-data.cjs')
    // The child processes run the package's own source, bundled (no dependence on a stale dist/).
    await build({
      entryPoints: [fileURLToPath(new URL('../src/index.ts', import.meta.url))],
      bundle: true,
      platform: 'node',
      format: 'cjs',
      target: 'node20',
      outfile: bundle,
      logLevel: 'silent',
    })
  })
  afterAll(() => rmSync(bundleDir, { recursive: true, force: true }))

  function child(mirror: string): Promise<{ code: number | null; out: string; err: string }> {
    const script = `require(${JSON.stringify(bundle)}).loadMnist({ cacheDir: ${JSON.stringify(cacheDir)}, mirror: ${JSON.stringify(mirror)}, retries: 0 })
      .then((d) => console.log(JSON.stringify({ source: d.source, train: d.train.count, test: d.test.count })))
      .catch((e) => { console.error(e.message); process.exitCode = 1 })`
    return new Promise((resolve, reject) => {
      const p = spawn(process.execPath, ['-e', script], {
        env: { ...process.env, MNIST_DATA_DIR: '', MNIST_MIRROR: '' },
      })
      let out = ''
      let err = ''
      p.stdout.on('data', (d: Buffer) => (out += d))
      p.stderr.on('data', (d: Buffer) => (err += d))
      p.on('error', reject)
      p.on('close', (code) => resolve({ code, out, err }))
    })
  }

  it('both succeed and each file is downloaded once', async () => {
    // A slow mirror (about a second for the images) so the two runs overlap.
    const s = await server((_req, res, ctx) => {
      const file = ctx.file!
      res.writeHead(200, { 'content-length': file.length })
      let offset = 0
      const step = (): void => {
        if (offset >= file.length) return void res.end()
        res.write(file.subarray(offset, offset + 512 * 1024))
        offset += 512 * 1024
        setTimeout(step, 40)
      }
      step()
    })
    const [a, b] = await Promise.all([child(s.url), child(s.url)])
    expect(a.err).toBe('')
    expect(b.err).toBe('')
    expect(a.code).toBe(0)
    expect(b.code).toBe(0)
    const results = [JSON.parse(a.out), JSON.parse(b.out)] as Array<{ source: string; train: number; test: number }>
    expect(results.map((r) => r.train)).toEqual([60000, 60000])
    expect(results.map((r) => r.source).sort()).toEqual(['cache', 'download'])
    expect(Object.fromEntries(s.hits)).toEqual(Object.fromEntries(NAMES.map((n) => [`/${n}.gz`, 1])))
    expect(cacheListing()).toEqual(NAMES.map((n) => `${n}.gz`).sort())
  }, 30_000)
})
