// The published packages in a real browser, built the way apps build them. Each page calls loadPretrained() and
// predicts real MNIST test digits, runs the simd backend (2 threads when cross-origin isolated, 1 otherwise), and
// checks the errors of a missing wasm file and of a weights URL that serves a web page. Needs /usr/bin/chromium (or
// CHROMIUM_PATH) and MNIST_DATA_DIR; fails without them.
import { loadMnist } from '@mnist/data'
import { existsSync, rmSync } from 'node:fs'
import puppeteer, { type Browser } from 'puppeteer-core'
import type { ViteDevServer } from 'vite'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import {
  buildEsbuild,
  buildIife,
  buildRollup,
  buildVite,
  buildWebpack,
  startViteDev,
  writeImportMapPage,
} from './bundlers'
import { makeConsumer, type Consumer } from './consumer'
import { serve } from './server'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const DIGITS = 200

interface PageResult {
  crossOriginIsolated: boolean
  loadMs: number
  metadataEpochs: number | undefined
  cpuAccuracy: number
  simdSet: boolean
  simdLoadError: string | undefined
  backend: string
  threads: number | undefined
  build: string | undefined
  simdAccuracy: number
  badSimdSet: boolean
  badSimdError: string | undefined
  afterFailure: { backend: string; sum: number }
  badUrlError: { name: string; code: string; message: string } | undefined
}

let consumer: Consumer
let browser: Browser
let server: Awaited<ReturnType<typeof serve>>
let dev: ViteDevServer
let input: { imagesBase64: string; labels: number[] }
const timings: Record<string, number> = {}

async function timed(name: string, f: () => Promise<unknown> | unknown): Promise<void> {
  const t = performance.now()
  await f()
  timings[name] = Math.round((performance.now() - t) / 100) / 10
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM}: install Debian's chromium package (or set CHROMIUM_PATH)`)
  }
  const mnist = await loadMnist()
  const test = mnist.test
  input = {
    imagesBase64: Buffer.from(test.images.subarray(0, DIGITS * 784)).toString('base64'),
    labels: Array.from(test.labels.subarray(0, DIGITS)),
  }
  consumer = await makeConsumer()
  Object.assign(timings, consumer.timings)
  const dir = consumer.dir
  await timed('viteBuildS', () => buildVite(dir))
  await timed('webpackS', () => buildWebpack(dir))
  await timed('esbuildS', () => buildEsbuild(dir))
  await timed('iifeS', () => buildIife(dir))
  await timed('rollupS', () => buildRollup(dir))
  writeImportMapPage(dir)
  server = await serve(dir)
  dev = await startViteDev(dir)
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu'],
  })
}, 300_000)

afterAll(async () => {
  await browser?.close()
  await dev?.close()
  await server?.close()
  if (consumer) rmSync(consumer.dir, { recursive: true, force: true })
  console.info(`browser fixtures, seconds: ${JSON.stringify(timings)}`)
})

async function runPage(url: string): Promise<PageResult> {
  const page = await browser.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(String(e)))
  try {
    await page.goto(url, { waitUntil: 'load' })
    await page.waitForFunction('window.fixtureReady === true', { timeout: 30_000 }).catch(() => {
      throw new Error(`${url}: the page never got ready; page errors: ${errors.join(' | ') || '(none)'}`)
    })
    return (await page.evaluate(
      (i) => (window as unknown as { fixture: { run: (x: unknown) => Promise<unknown> } }).fixture.run(i),
      input,
    )) as PageResult
  } finally {
    await page.close()
  }
}

const PAGES: Array<[string, () => string]> = [
  ['Vite build', () => `${server.origin}/out/vite/`],
  ['Vite dev server', () => `${dev.resolvedUrls!.local[0]}`],
  ['webpack 5', () => `${server.origin}/out/webpack/`],
  ['esbuild (ESM, code splitting)', () => `${server.origin}/out/esbuild/`],
  ['esbuild (script tag, IIFE)', () => `${server.origin}/out/iife/`],
  ['Rollup', () => `${server.origin}/out/rollup/`],
  ['import map, no bundler', () => `${server.origin}/out/importmap/`],
]

describe.each(PAGES)('%s', (name, url) => {
  test.each([
    ['cross-origin isolated', true],
    ['not isolated', false],
  ])('%s: loadPretrained() predicts real digits; simd runs; failures are typed', async (_mode, isolated) => {
    const t = performance.now()
    const r = await runPage(`${url()}${isolated ? '?coi=1' : ''}`)
    timings[`${name}${isolated ? ' coi' : ''}`] = Math.round((performance.now() - t) / 100) / 10
    expect(r.crossOriginIsolated).toBe(isolated)
    expect(r.metadataEpochs).toBeGreaterThan(0)
    expect(r.cpuAccuracy).toBeGreaterThanOrEqual(0.975)
    expect(r.simdLoadError).toBeUndefined()
    expect(r.simdSet).toBe(true)
    expect(r.backend).toBe('simd')
    expect(r.threads).toBe(isolated ? 2 : 1)
    expect(r.build).toMatch(/^(relaxed-simd|simd)$/)
    expect(r.simdAccuracy).toBe(r.cpuAccuracy)
    // The missing wasm file: the package's error names the URL and the option; ops then run on the cpu backend.
    expect(r.badSimdSet).toBe(false)
    expect(r.badSimdError).toContain('/no-such-folder/')
    expect(r.badSimdError).toContain('from the wasmUrl option')
    expect(r.afterFailure).toEqual({ backend: 'cpu', sum: 3 })
    expect(r.badUrlError).toMatchObject({ name: 'ModelFileError' })
    expect(r.badUrlError!.message).toContain('/no-such-folder/pretrained/model.json')
  })
})
