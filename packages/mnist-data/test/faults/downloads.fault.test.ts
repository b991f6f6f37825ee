import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { ServerResponse } from 'node:http'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import type { LockWait } from '../../src/cache'
import { downloadFile, type TmpFile } from '../../src/download'
import { CacheWriteError, DownloadError } from '../../src/errors'
import { encodeIdx } from '../../src/idx'
import { loadMnist, type LoadMnistOptions } from '../../src/load'
import { writeToyDataset } from '../fixtures'
import { NAMES, mirrorFiles, startServer, type TestServer } from '../server'
import { bundleSource, gzipBomb, startChild } from './child'

// Hostile mirrors on 127.0.0.1: bombs, endless junk, stalls, drips, a full disk, a killed download. Every case ends
// within seconds, with nothing unverified in the cache and each bad payload fetched once.
const GiB = 2 ** 30
const IMAGES = '/train-images-idx3-ubyte.gz'
let root: string
let cacheDir: string
let bundle: string
let cleanup: () => void
const servers: TestServer[] = []

async function server(...args: Parameters<typeof startServer>): Promise<TestServer> {
  const s = await startServer(...args)
  servers.push(s)
  return s
}

beforeAll(async () => ({ bundle, cleanup } = await bundleSource()))
afterAll(() => cleanup())
beforeEach(() => {
  mirrorFiles()
  root = mkdtempSync(join(tmpdir(), 'mnist-dl-fault-'))
  cacheDir = join(root, 'cache')
  vi.stubEnv('MNIST_DATA_DIR', '')
  vi.stubEnv('MNIST_MIRROR', '')
  vi.stubEnv('MNIST_CACHE_DIR', '')
})
afterEach(async () => {
  vi.unstubAllEnvs()
  await Promise.all(servers.splice(0).map((s) => s.close()))
  rmSync(root, { recursive: true, force: true })
})

const fast: LoadMnistOptions = { retries: 3, retryDelayMs: 5, timeoutMs: 5000 }

/** Everything in the cache folder but the lock, temporary files included. */
function cacheListing(): string[] {
  const dir = join(cacheDir, 'mnist')
  return existsSync(dir)
    ? readdirSync(dir)
        .filter((e) => e !== '.lock' && e !== '.lock-owner')
        .sort()
    : []
}

/** Streams `total` bytes, `first` then filler (never held whole), until the client goes away; counts what was sent. */
function endless(
  res: ServerResponse,
  first: Uint8Array,
  total: number,
  sent: { bytes: number },
  length: boolean,
): void {
  res.writeHead(200, length ? { 'content-length': total } : {})
  const chunk = Buffer.alloc(1 << 20, 7)
  let offset = 0
  const pump = (): void => {
    while (offset < total && !res.destroyed) {
      const part = offset === 0 ? Buffer.concat([first, chunk.subarray(first.length)]) : chunk
      offset += part.length
      sent.bytes += part.length
      if (!res.write(part)) return void res.once('drain', pump)
    }
    if (!res.destroyed) res.end()
  }
  res.on('close', () => res.destroy())
  pump()
}

describe('hostile mirrors', () => {
  it('a gzip bomb (2 GiB inflated) is fetched once, stops at the published size, under 600 MB RSS', async () => {
    const bomb = gzipBomb([60000, 28, 28], 2 * GiB)
    const s = await server((_req, res, ctx) => {
      if (ctx.path !== IMAGES) return ctx.serve()
      res.writeHead(200, { 'content-length': bomb.length }).end(bomb)
    })
    const r = await startChild(bundle, { cacheDir, mirror: s.url, retries: 3, retryDelayMs: 5 }).result
    expect(r.ok).toBe(false)
    expect(r.code).toBe('DATA_DOWNLOAD_FAILED')
    expect(r.message).toContain('train-images-idx3-ubyte: every mirror served a file that failed verification')
    expect(r.message).toContain(`${s.url}train-images-idx3-ubyte.gz: trailing bytes: expected 47040000 bytes`)
    expect(r.message).not.toContain('offline?')
    // A payload that failed verification is final for that mirror: not inflated four times.
    expect(s.hits.get(IMAGES)).toBe(1)
    expect(r.maxRssMb).toBeLessThan(600)
    expect(r.ms).toBeLessThan(10_000)
    expect(cacheListing()).toEqual([])
  })

  it('1 GiB of junk: refused from its Content-Length, or cut at the cap without one; never retried', async () => {
    const header = encodeIdx({ dtype: 'uint8', shape: [60000, 28, 28], data: new Uint8Array(47040000) }).subarray(0, 16)
    const sent = { bytes: 0 }
    const withLength = await server((_req, res, ctx) =>
      ctx.path === IMAGES ? endless(res, header, GiB, sent, true) : ctx.serve(),
    )
    const error = await loadMnist({ ...fast, cacheDir, mirror: withLength.url }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(DownloadError)
    expect((error as DownloadError).attempts).toEqual([
      {
        url: `${withLength.url}train-images-idx3-ubyte.gz`,
        attempt: 1,
        reason: expect.stringMatching(/^too large: Content-Length 1073741824 bytes, expected at most \d+$/),
      },
    ])
    expect(sent.bytes).toBeLessThan(64 * 2 ** 20)

    sent.bytes = 0
    const chunked = await server((_req, res, ctx) =>
      ctx.path === IMAGES ? endless(res, header, GiB, sent, false) : ctx.serve(),
    )
    const cut = await loadMnist({ ...fast, cacheDir, mirror: chunked.url }).catch((e: unknown) => e)
    expect((cut as DownloadError).attempts.map((a) => a.reason)).toEqual([
      expect.stringContaining('train-images-idx3-ubyte.gz: trailing bytes: expected 47040000 bytes'),
    ])
    expect(chunked.hits.get(IMAGES)).toBe(1)
    expect(sent.bytes).toBeLessThan(128 * 2 ** 20)
    expect(cacheListing()).toEqual([])
  })

  it('a stalled mirror costs one timeout per load, not one per file and try (MNIST_DOWNLOAD_TIMEOUT)', async () => {
    const stalled = await server(() => undefined)
    const good = await server((_req, _res, ctx) => ctx.serve())
    vi.stubEnv('MNIST_DOWNLOAD_TIMEOUT', '0.3')
    const started = Date.now()
    const data = await loadMnist({ cacheDir, mirror: [stalled.url, good.url], retries: 3, retryDelayMs: 5 })
    expect(data.source).toBe('download')
    expect(Date.now() - started).toBeLessThan(5_000)
    expect([...stalled.hits.values()]).toEqual([1])
    expect(cacheListing()).toEqual(NAMES.map((n) => `${n}.gz`).sort())
  })

  it('a server that drips bytes is cut by the total timeout; MNIST_DOWNLOAD_RETRIES sets the tries', async () => {
    const drip = await server((_req, res, ctx) => {
      res.writeHead(200, { 'content-length': ctx.file!.length })
      let offset = 0
      const timer = setInterval(() => {
        if (res.destroyed) return clearInterval(timer)
        res.write(ctx.file!.subarray(offset, offset + 16))
        offset += 16
      }, 20)
      res.on('close', () => clearInterval(timer))
    })
    vi.stubEnv('MNIST_DOWNLOAD_RETRIES', '0')
    const started = Date.now()
    const error = await loadMnist({ cacheDir, mirror: drip.url, timeoutMs: 5000, totalTimeoutMs: 400 }).catch(
      (e: unknown) => e,
    )
    expect(Date.now() - started).toBeLessThan(3_000)
    expect((error as DownloadError).attempts.map((a) => a.reason)).toEqual(['timeout: not complete after 400 ms'])
    expect(cacheListing()).toEqual([])
  })

  it('bad environment values are typed option errors naming the variable', async () => {
    vi.stubEnv('MNIST_DOWNLOAD_TIMEOUT', 'soon')
    const error = await loadMnist({ cacheDir }).catch((e: unknown) => e)
    expect((error as Error).message).toContain('MNIST_DOWNLOAD_TIMEOUT: expected a non-negative number, got "soon"')
  })
})

describe('the disk, not the network', () => {
  const failingDisk = (code: string) => async (): Promise<TmpFile> => ({
    write: () => Promise.reject(Object.assign(new Error(`${code}: simulated`), { code })),
    sync: async () => undefined,
    close: async () => undefined,
  })
  const base = {
    mirrors: [] as string[],
    sha256: undefined,
    timeoutMs: 5000,
    totalTimeoutMs: 0,
    retries: 3,
    retryDelayMs: 5,
  }

  it('ENOSPC: a disk-full error naming the cache folder, not retried, not blamed on the network', async () => {
    const s = await server((_req, _res, ctx) => ctx.serve())
    const destDir = join(root, 'dest')
    mkdirSync(destDir)
    const error = await downloadFile({
      ...base,
      file: 'train-labels-idx1-ubyte',
      mirrors: [s.url, s.url],
      destDir,
      limits: { exactBytes: 60008, budget: { limit: 1e9, used: 0 } },
      openTmp: failingDisk('ENOSPC'),
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CacheWriteError)
    expect((error as CacheWriteError).code).toBe('DATA_DISK_FULL')
    expect((error as Error).message).toContain(`${destDir}: disk full`)
    expect((error as Error).message).not.toContain('ffline')
    expect(s.hits.get('/train-labels-idx1-ubyte.gz')).toBe(1)
    expect(readdirSync(destDir)).toEqual([])

    const readOnly = await downloadFile({
      ...base,
      file: 'train-labels-idx1-ubyte',
      mirrors: [s.url],
      destDir,
      limits: { budget: { limit: 1e9, used: 0 } },
      openTmp: () => Promise.reject(Object.assign(new Error('EROFS: simulated'), { code: 'EROFS' })),
    }).catch((e: unknown) => e)
    expect((readOnly as CacheWriteError).code).toBe('DATA_CACHE_UNWRITABLE')
  })
})

describe('a download killed with SIGKILL', () => {
  it('the next run reports a live holder, takes a dead one over at once and removes its partial file', async () => {
    // The first process starts the images download from a mirror that stalls half-way, and holds the lock.
    const half = await server((_req, res, ctx) => {
      res.writeHead(200, { 'content-length': ctx.file!.length })
      res.write(ctx.file!.subarray(0, 100_000))
    })
    const { child, result } = startChild(bundle, { cacheDir, mirror: half.url, timeoutMs: 60_000 })
    const deadline = Date.now() + 20_000
    while (!cacheListing().some((e) => e.endsWith('.tmp')) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50))
    expect(cacheListing()).toEqual([
      expect.stringMatching(new RegExp(`^\\.train-images-idx3-ubyte\\.${child.pid}\\.[0-9a-f]{8}\\.tmp$`)),
    ])

    const good = await server((_req, _res, ctx) => ctx.serve())
    const waits: LockWait[] = []
    const waiting = await loadMnist({
      cacheDir,
      mirror: good.url,
      signal: AbortSignal.timeout(300),
      onLockWait: (w) => waits.push(w),
    }).catch((e: unknown) => e)
    expect((waiting as DownloadError).code).toBe('DATA_DOWNLOAD_ABORTED')
    expect(waits).toEqual([{ lockPath: join(cacheDir, 'mnist', '.lock'), pid: child.pid, host: expect.any(String) }])

    child.kill('SIGKILL')
    await result.catch(() => undefined)
    const started = Date.now()
    const data = await loadMnist({ cacheDir, mirror: good.url })
    // The lock is 15 s from stale by its age; its holder's pid is gone, so it is taken over at once.
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(data.source).toBe('download')
    expect(cacheListing()).toEqual(NAMES.map((n) => `${n}.gz`).sort())
  })
})

describe('which source wins', () => {
  it('a mirror option wins over MNIST_DATA_DIR, and the result says so', async () => {
    const dir = join(root, 'env-dir')
    writeToyDataset(dir)
    vi.stubEnv('MNIST_DATA_DIR', dir)
    const s = await server((_req, _res, ctx) => ctx.serve())
    const data = await loadMnist({ ...fast, cacheDir, mirror: s.url })
    expect(data.source).toBe('download')
    expect(data.notes).toEqual([
      `MNIST_DATA_DIR (${dir}) was not used: the mirror option was given, and an option wins over the environment`,
    ])
    // MNIST_MIRROR does not: the folder is read.
    vi.stubEnv('MNIST_MIRROR', s.url)
    const local = await loadMnist({ dataset: 'custom' })
    expect(local).toMatchObject({ source: 'dataDir', dir, notes: [] })
  })
})
