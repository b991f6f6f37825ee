import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import puppeteer, { type Browser } from 'puppeteer-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { subset } from './helpers'

// A real browser: the browser entry, bundled by esbuild, trains in a Web Worker of a cross-origin-isolated page in
// Debian's Chromium (driven by puppeteer-core) on a subset of real MNIST, on the simd backend's 2 threads with the
// fused step, and resumes an aborted run from IndexedDB.

const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium'
const PAGE = `<!doctype html><meta charset="utf-8"><script type="module">
const names = ['train-images', 'train-labels', 'test-images', 'test-labels']
const [ti, tl, si, sl] = await Promise.all(names.map((n) => fetch('/data/' + n).then((r) => r.arrayBuffer())))
const split = (images, labels) => ({ images: new Uint8Array(images), labels: new Uint8Array(labels),
  count: labels.byteLength, rows: 28, cols: 28 })
const worker = new Worker('/worker.js', { type: 'module' })
const finish = (result) => Object.assign(window, { result, done: true })
worker.onmessage = (e) => finish(e.data)
worker.onerror = (e) => finish({ error: 'worker error: ' + e.message })
worker.postMessage({ train: split(ti, tl), test: split(si, sl), abortAt: ABORT_AT }, [ti, tl, si, sl])
</script>`

let server: Server
let browser: Browser
let origin: string

beforeAll(async () => {
  const [bundle, data] = await Promise.all([
    build({
      entryPoints: [fileURLToPath(new URL('./chromium/train-worker.ts', import.meta.url))],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
    }),
    subset(4800, 1000),
  ])
  const files = new Map<string, { type: string; body: Uint8Array | string }>([
    ['/', { type: 'text/html', body: PAGE.replace('ABORT_AT', '100') }],
    ['/worker.js', { type: 'text/javascript', body: bundle.outputFiles[0]!.contents }],
    ['/data/train-images', { type: 'application/octet-stream', body: data.train.images }],
    ['/data/train-labels', { type: 'application/octet-stream', body: data.train.labels }],
    ['/data/test-images', { type: 'application/octet-stream', body: data.test.images }],
    ['/data/test-labels', { type: 'application/octet-stream', body: data.test.labels }],
  ])
  server = createServer((req, res) => {
    const file = files.get(new URL(req.url ?? '/', 'http://x').pathname)
    if (file === undefined) return void res.writeHead(404).end()
    // Cross-origin isolation: SharedArrayBuffer, so the simd backend's worker threads.
    res.writeHead(200, {
      'content-type': file.type,
      'cross-origin-opener-policy': 'same-origin',
      'cross-origin-embedder-policy': 'require-corp',
      'cross-origin-resource-policy': 'same-origin',
    })
    res.end(file.body)
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  })
})

afterAll(async () => {
  await browser?.close()
  await new Promise((resolve) => server?.close(resolve))
})

describe('the browser entry in Chromium', () => {
  it('trains in a Web Worker with the fused step on 2 threads and resumes an aborted run from IndexedDB', async () => {
    const page = await browser.newPage()
    const errors: string[] = []
    page.on('pageerror', (e) => errors.push(String(e)))
    await page.goto(`${origin}/`)
    // The worker's one message (result or error) sets `done`. Generous, as CI runs other test files beside this one on
    // 2 cores, yet below vitest's testTimeout (120 s): a hang fails here, naming the wait, not as a test timeout.
    await page.waitForFunction('window.done === true', { timeout: 110_000, polling: 500 })
    const result = (await page.evaluate('window.result')) as Record<string, unknown>
    expect(errors).toEqual([])
    expect(result.error).toBeUndefined()
    expect(result).toMatchObject({
      crossOriginIsolated: true,
      stepEngine: 'fused',
      steps: 300,
      interrupted: true,
      interruptedDir: 'indexeddb://mnist-train/chromium-test',
      resumedAt: { epoch: 0, batch: 100, step: 100 },
      sameWeights: true,
    })
    expect(result.device).toMatch(/2 threads/)
    expect(result.testAccuracy).toBeGreaterThan(0.93)
    expect(result.resumedAccuracy).toBe(result.testAccuracy)
  })
})
