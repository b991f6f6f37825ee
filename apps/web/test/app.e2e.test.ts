// The web app end to end in Chromium (puppeteer-core, the system's /usr/bin/chromium or $CHROMIUM_PATH): the shipped
// model recognises digits drawn with mouse events, a short training run in the page's worker reaches a set
// accuracy, the stop button stops a run (training, or still downloading), and a screenshot is saved. Each test loads
// its own page. No Chromium, no MNIST_DATA_DIR: the suite fails.
import { existsSync, mkdirSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import puppeteer, { type Browser, type Page } from 'puppeteer-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { buildAndServe, type Served } from './serve'
import { startStalledMirror, type StalledMirror } from './stalled-mirror'
import { DIGIT_STROKES } from './strokes'

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
// A subset keeps the run short in CI; the page takes the sizes from its query string.
const TRAIN_IMAGES = Number(process.env.MNIST_WEB_TRAIN_IMAGES ?? 3000)
const TEST_IMAGES = Number(process.env.MNIST_WEB_TEST_IMAGES ?? 1000)
const MIN_ACCURACY = 0.9
const ARTIFACTS = process.env.MNIST_OUT_DIR ?? join(tmpdir(), 'mnist-web-artifacts')
// Generous: the 2-core CI machine may be running other test processes at the same time.
const TRAIN_TIMEOUT_MS = 150_000

let served: Served
let mirror: StalledMirror
let browser: Browser
let page: Page

/** A fresh page state: navigate, wait for the shipped model. */
async function open(query: string): Promise<void> {
  await page.goto(`${served.url}?${query}`)
  await page.waitForSelector('#model-source[data-ready]', { timeout: 30_000 })
}

const statusLine = (): Promise<string> =>
  page.$eval('#status', (s) => `${(s as HTMLElement).dataset.state}: ${s.textContent}`)

async function draw(digit: number): Promise<number[]> {
  await page.click('#clear')
  const box = (await (await page.$('#pad'))!.boundingBox())!
  for (const stroke of DIGIT_STROKES[digit]) {
    const at = ([x, y]: [number, number]) => [box.x + x * box.width, box.y + y * box.height] as const
    await page.mouse.move(...at(stroke[0]))
    await page.mouse.down()
    for (const p of stroke.slice(1)) await page.mouse.move(...at(p), { steps: 4 })
    await page.mouse.up()
  }
  await page.waitForFunction(() => document.querySelectorAll('#top3 li').length === 3)
  return page.$$eval('#top3 li', (lis) => lis.map((li) => Number((li as HTMLElement).dataset.digit)))
}

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`Chromium not found at ${CHROMIUM} (install Debian's chromium or set CHROMIUM_PATH)`)
  if (!process.env.MNIST_DATA_DIR) throw new Error('MNIST_DATA_DIR must name the folder of the four MNIST .gz files')
  served = await buildAndServe()
  mirror = await startStalledMirror(process.env.MNIST_DATA_DIR)
  browser = await puppeteer.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu'],
  })
  page = await browser.newPage()
  await page.setViewport({ width: 1200, height: 1000 })
  page.on('pageerror', (err) => console.error('page error:', err))
})

afterAll(async () => {
  await browser?.close()
  await served?.close()
  await mirror?.close()
})

describe('apps/web in Chromium', () => {
  it('loads cross-origin isolated and recognises digits drawn with the mouse', async () => {
    await open('')
    const coldMs = Number(await page.$eval('body', (b) => b.dataset.readyMs))
    // A reload measures the page, not Chromium's own start-up.
    await page.reload()
    await page.waitForSelector('#model-source[data-ready]', { timeout: 30_000 })
    const warm = await page.$eval('body', (b) => ({ ms: Number(b.dataset.readyMs), digit: b.dataset.warmDigit }))
    console.log(`first prediction ready ${coldMs} ms after navigation start (new browser), ${warm.ms} ms on reload`)
    expect(warm.ms).toBeGreaterThan(0)
    // Set from predict()'s answer on the warm-up image: the warm-up really ran the model.
    expect(warm.digit).toMatch(/^[0-9]$/)
    expect(await page.evaluate(() => crossOriginIsolated)).toBe(true)
    for (const digit of [1, 7, 0]) expect((await draw(digit))[0]).toBe(digit)
  })

  it(
    'trains in the page to the set accuracy, then the pad uses the new model',
    { timeout: TRAIN_TIMEOUT_MS + 60_000 },
    async () => {
      await open(`train=${TRAIN_IMAGES}&test=${TEST_IMAGES}&epochs=2`)
      await page.click('#train')
      await page.waitForSelector('#status[data-state]', { timeout: TRAIN_TIMEOUT_MS })
      expect(await statusLine()).toMatch(/^done: /)
      const accuracy = parseFloat(await page.$eval('#test-accuracy', (e) => e.textContent ?? '')) / 100
      console.log(`test accuracy after ${TRAIN_IMAGES} images x 2 epochs: ${accuracy}`)
      expect(accuracy).toBeGreaterThanOrEqual(MIN_ACCURACY)
      const threads = await page.$eval('#engine', (e) => e.textContent ?? '')
      const cores = await page.evaluate(() => navigator.hardwareConcurrency)
      expect(threads).toContain(`${cores} thread`)
      await page.waitForSelector('#model-source[data-trained]')
      expect((await draw(7))[0]).toBe(7)
      mkdirSync(ARTIFACTS, { recursive: true })
      const shot = join(ARTIFACTS, 'web-app.png')
      await page.screenshot({ path: shot, fullPage: true })
      console.log(`screenshot: ${shot}`)
      expect(existsSync(shot)).toBe(true)
    },
  )

  it('stops a long run with the stop button', async () => {
    await open('train=60000&test=500&epochs=20')
    await page.click('#train')
    await page.waitForFunction(() => /step [1-9]/.test(document.querySelector('#status')?.textContent ?? ''), {
      timeout: 60_000,
    })
    await page.click('#stop')
    await page.waitForSelector('#status[data-state]', { timeout: 30_000 })
    expect(await statusLine()).toMatch(/^stopped: Stopped after /)
  })

  it('stops while the data is still downloading', async () => {
    // The stalled mirror never finishes a file: the run is in its download when Stop is pressed.
    await open(`data=${encodeURIComponent(mirror.url)}&train=60000&test=500&epochs=20`)
    await page.click('#train')
    await page.waitForFunction(() => /^Loading MNIST/.test(document.querySelector('#status')?.textContent ?? ''), {
      timeout: 60_000,
    })
    expect(mirror.requests()).toBeGreaterThan(0)
    await page.click('#stop')
    await page.waitForSelector('#status[data-state]', { timeout: 30_000 })
    expect(await statusLine()).toBe('stopped: Stopped before training started.')
    expect(await page.$eval('#train', (b) => (b as HTMLButtonElement).disabled)).toBe(false)
  })
})
