// The browser benchmarks of issue #12 (benchmarks, not tests: they print numbers and a verdict, and fail only when
// something does not run). `pnpm --filter @mnist/web bench` (also part of the root `pnpm bench`):
//   1. epoch:   one full epoch of default training (60,000 images, fused step on simd) in a Web Worker of headless
//               Chromium (cross-origin isolated, WEB_BENCH_THREADS threads) against the same epoch in Node (@mnist/train's
//               train(), same seed, config and data), as interleaved pairs, one pair per seed; the times are what
//               train() reports (trainSeconds: training steps only). Also: are the trained weights bit-identical?
//   2. pad:     the drawing pad's first prediction after page load (the app's own `data-ready-ms`: model loaded and
//               one prediction done, ms after navigation start), in a fresh browser profile, and after a reload.
//   3. install: `pnpm pack` of the published packages, `npm i` into fresh folders, `du -sb node_modules`.
// env: MNIST_DATA_DIR (required for epoch), CHROMIUM_PATH (default /usr/bin/chromium), WEB_BENCH_SEEDS (pairs, default 3:
//      seeds 0..n-1), WEB_BENCH_THREADS (default 2), WEB_BENCH_PAD_RUNS (fresh browsers, default 5), WEB_BENCH_PARTS (default
//      "epoch,pad,install"), WEB_BENCH_JSON (write the results there too).
import { execFile } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { availableParallelism, cpus, loadavg, tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'
import puppeteer from 'puppeteer-core'
import { build, preview } from 'vite'

const run = promisify(execFile)
const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const repo = join(root, '../..')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const SEEDS = Number(process.env.WEB_BENCH_SEEDS ?? 3)
const THREADS = Number(process.env.WEB_BENCH_THREADS ?? 2)
const PAD_RUNS = Number(process.env.WEB_BENCH_PAD_RUNS ?? 5)
const PARTS = new Set((process.env.WEB_BENCH_PARTS ?? 'epoch,pad,install').split(',').map((p) => p.trim()))
const TFJS = '4.22.0'
const TARGETS = { ratio: 1.3, accuracy: 0.992, padMs: 1000, trainMB: 150 }

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length
const pct = (x) => `${(x * 100).toFixed(2)} %`
const load = () =>
  loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')
const verdict = (ok) => (ok ? 'met' : 'NOT met')

function launch() {
  // A fresh temporary profile per launch (puppeteer's default): nothing cached from an earlier run.
  // A loaded machine can stretch one epoch far past puppeteer's 3-minute default for a call into the page.
  return puppeteer.launch({
    executablePath: CHROMIUM,
    args: ['--headless=new', '--no-sandbox', '--disable-gpu'],
    protocolTimeout: 900_000,
  })
}

/** The app and the epoch page, built once into a temp folder and served by `vite preview` (COOP/COEP, /mnist/). */
async function buildAndServe() {
  const outDir = mkdtempSync(join(tmpdir(), 'mnist-web-bench-'))
  const input = { main: join(root, 'index.html'), epoch: join(root, 'bench/epoch.html') }
  await build({ root, logLevel: 'error', build: { outDir, emptyOutDir: true, rollupOptions: { input } } })
  const server = await preview({
    root,
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 0, strictPort: false },
  })
  const url = server.resolvedUrls?.local[0]
  if (!url) throw new Error('vite preview did not report a URL')
  return { url, close: () => server.close(), outDir }
}

async function browserEpoch(url, seed) {
  const browser = await launch()
  try {
    const page = await browser.newPage()
    page.on('pageerror', (err) => console.error('page error:', err))
    await page.goto(`${url}bench/epoch.html`)
    await page.waitForSelector('body[data-ready]')
    const r = await page.evaluate((s, t) => globalThis.benchEpoch(s, t), seed, THREADS)
    if (!r.crossOriginIsolated) throw new Error('the epoch page is not cross-origin isolated')
    return r
  } finally {
    await browser.close()
  }
}

async function nodeEpoch(seed) {
  const { stdout } = await run(process.execPath, [join(root, 'bench/node-epoch.mjs'), String(seed), String(THREADS)], {
    cwd: root,
    maxBuffer: 16 << 20,
  })
  return JSON.parse(stdout.trim().split('\n').at(-1))
}

async function epochBench(url) {
  if (!process.env.MNIST_DATA_DIR) throw new Error('MNIST_DATA_DIR must name the folder of the four MNIST .gz files')
  const rows = []
  for (let seed = 0; seed < SEEDS; seed++) {
    // Alternate which side goes first, so that a slow minute of a shared machine does not always hit the same side.
    const order = seed % 2 === 0 ? ['browser', 'node'] : ['node', 'browser']
    const pair = {}
    for (const side of order) pair[side] = side === 'browser' ? await browserEpoch(url, seed) : await nodeEpoch(seed)
    const { browser: b, node: n } = pair
    const row = {
      seed,
      browserS: b.trainSeconds,
      nodeS: n.trainSeconds,
      ratio: b.trainSeconds / n.trainSeconds,
      browserAcc: b.testAccuracy,
      nodeAcc: n.testAccuracy,
      identical: b.weightsSha256 === n.weightsSha256,
      browserBuild: `${b.build}, ${b.threads} threads, ${b.stepEngine}`,
      nodeBuild: `${n.build}, ${n.threads} threads, ${n.stepEngine}`,
      browserHash: b.weightsSha256.slice(0, 12),
      nodeHash: n.weightsSha256.slice(0, 12),
      load: load(),
    }
    rows.push(row)
    console.log(
      `  seed ${seed}: browser ${row.browserS.toFixed(2)} s (${pct(row.browserAcc)}, ${row.browserBuild}), ` +
        `node ${row.nodeS.toFixed(2)} s (${pct(row.nodeAcc)}, ${row.nodeBuild}), ratio ${row.ratio.toFixed(2)}x, ` +
        `weights ${row.identical ? 'bit-identical' : `differ (${row.browserHash} vs ${row.nodeHash})`}, load ${row.load}`,
    )
  }
  return rows
}

/** Where the first load's time went: ms after navigation start of the document, the app's script and its marks. */
function pageStages(page) {
  return page.evaluate(() => {
    const nav = performance.getEntriesByType('navigation')[0]
    const marks = Object.fromEntries(performance.getEntriesByType('mark').map((m) => [m.name, Math.round(m.startTime)]))
    return {
      html: Math.round(nav?.responseEnd ?? 0),
      domContentLoaded: Math.round(nav?.domContentLoadedEventEnd ?? 0),
      ...marks,
    }
  })
}

async function padBench(url) {
  const cold = []
  const reload = []
  const stages = []
  for (let i = 0; i < PAD_RUNS; i++) {
    const browser = await launch()
    try {
      const page = await browser.newPage()
      const readyMs = async () => {
        await page.waitForSelector('body[data-ready-ms]', { timeout: 60_000 })
        return Number(await page.$eval('body', (b) => b.dataset.readyMs))
      }
      await page.goto(url)
      cold.push(await readyMs())
      stages.push(await pageStages(page))
      await page.reload()
      reload.push(await readyMs())
    } finally {
      await browser.close()
    }
  }
  console.log(`  fresh profile: ${cold.join(', ')} ms; after a reload: ${reload.join(', ')} ms`)
  // The app's marks: start (script running), engine (simd backend ready), model (shipped weights loaded).
  const keys = Object.keys(stages[0] ?? {})
  const typical = Object.fromEntries(keys.map((k) => [k, median(stages.map((s) => s[k] ?? Number.NaN))]))
  console.log(`  fresh profile, medians (ms after navigation): ${keys.map((k) => `${k} ${typical[k]}`).join(', ')}`)
  return { cold, reload, stages: typical }
}

/** The published packages (not private) of packages/*, packed as a publish would, in one folder. */
async function packAll(dir) {
  const names = {}
  for (const folder of readdirSync(join(repo, 'packages'))) {
    const pkgFile = join(repo, 'packages', folder, 'package.json')
    if (!existsSync(pkgFile)) continue
    const pkg = JSON.parse(readFileSync(pkgFile, 'utf8'))
    if (pkg.private) continue
    const before = new Set(readdirSync(dir))
    await run('pnpm', ['pack', '--pack-destination', dir], { cwd: join(repo, 'packages', folder) })
    const made = readdirSync(dir).find((f) => !before.has(f))
    if (!made) throw new Error(`pnpm pack made no tarball for ${pkg.name}`)
    names[pkg.name] = join(dir, made)
  }
  return names
}

async function installSize(tarballs, wanted) {
  const dir = mkdtempSync(join(tmpdir(), 'mnist-install-'))
  // The @mnist/* dependencies of the wanted package come from the tarballs too (they are not on the registry).
  const overrides = Object.fromEntries(Object.entries(tarballs).map(([n, f]) => [n, `file:${f}`]))
  const dependencies = { [wanted]: `file:${tarballs[wanted]}` }
  for (const tf of ['@tensorflow/tfjs-core', '@tensorflow/tfjs-layers']) dependencies[tf] = TFJS
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify({ name: 'size-probe', private: true, dependencies, overrides }),
  )
  try {
    await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
      cwd: dir,
      timeout: 300_000,
    })
    const { stdout } = await run('du', ['-sb', 'node_modules'], { cwd: dir })
    const bytes = Number(stdout.split(/\s/)[0])
    const { stdout: big } = await run('sh', ['-c', 'du -sb node_modules/*/* node_modules/[!@]* | sort -rn | head -4'], {
      cwd: dir,
    })
    const largest = big
      .trim()
      .split('\n')
      .map((l) => l.split('\t'))
      .map(([b, p]) => `${p.replace('node_modules/', '')} ${(Number(b) / 1e6).toFixed(1)}`)
    return { what: `${wanted} + tfjs-core + tfjs-layers`, mb: bytes / 1e6, largest }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function installBench() {
  const dir = mkdtempSync(join(tmpdir(), 'mnist-tarballs-'))
  try {
    const tarballs = await packAll(dir)
    const rows = []
    for (const wanted of ['@mnist/model', '@mnist/train']) {
      rows.push(await installSize(tarballs, wanted))
      console.log(`  ${rows.at(-1).what}: ${rows.at(-1).mb.toFixed(1)} MB (largest: ${rows.at(-1).largest.join(', ')})`)
    }
    return rows
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

function report(results) {
  console.log('\n## Browser benchmarks (issue #12)')
  console.log(`${results.chromium}, node ${process.version}, ${results.machine}`)
  console.log(`load average (1, 5, 15 min) at the start: ${results.loadStart}, at the end: ${load()}\n`)
  if (results.epoch) {
    const e = results.epoch
    console.log('| seed | Chromium s | Node s | ratio | Chromium acc | Node acc | weights |')
    console.log('|---:|---:|---:|---:|---:|---:|---|')
    for (const r of e) {
      const same = r.identical ? 'bit-identical' : `differ (${r.browserHash} / ${r.nodeHash})`
      const cells = [r.seed, r.browserS.toFixed(2), r.nodeS.toFixed(2), `${r.ratio.toFixed(2)}x`]
      console.log(`| ${[...cells, pct(r.browserAcc), pct(r.nodeAcc), same].join(' | ')} |`)
    }
    const ratios = e.map((r) => r.ratio)
    const accB = mean(e.map((r) => r.browserAcc))
    const accN = mean(e.map((r) => r.nodeAcc))
    console.log(
      `\nepoch: median ratio ${median(ratios).toFixed(2)}x, worst pair ${Math.max(...ratios).toFixed(2)}x ` +
        `(target ≤ ${TARGETS.ratio}x: ${verdict(median(ratios) <= TARGETS.ratio)}); mean accuracy Chromium ${pct(accB)}, Node ${pct(accN)} ` +
        `(target ≥ ${pct(TARGETS.accuracy)}: ${verdict(accB >= TARGETS.accuracy)}); weights ` +
        `${e.every((r) => r.identical) ? 'bit-identical for every seed' : 'NOT identical for every seed'}`,
    )
  }
  if (results.pad) {
    const { cold, reload } = results.pad
    const stages = Object.entries(results.pad.stages).map(([k, v]) => `${k} ${v}`)
    console.log(
      `pad: first prediction ${median(cold)} ms after navigation, fresh profile (median of ${cold.length}; ` +
        `target < ${TARGETS.padMs} ms: ${verdict(median(cold) < TARGETS.padMs)}); after a reload ${median(reload)} ms`,
    )
    console.log(`pad: fresh profile stages, median ms after navigation: ${stages.join(', ')}`)
  }
  if (results.install) {
    for (const r of results.install) console.log(`install: ${r.what}: ${r.mb.toFixed(1)} MB`)
    const train = results.install.find((r) => r.what.startsWith('@mnist/train'))
    if (train)
      console.log(`install: @mnist/train target ≤ ${TARGETS.trainMB} MB: ${verdict(train.mb <= TARGETS.trainMB)}`)
  }
}

async function main() {
  // The app's vite.config.ts is loaded by Vite's bundling config loader; its notice about the future native loader
  // is not this bench's business.
  process.env.VITE_CONFIG_NATIVE_IGNORE_WARNING ??= 'true'
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (set CHROMIUM_PATH)`)
  const t0 = performance.now()
  const { stdout: chromium } = await run(CHROMIUM, ['--version'])
  const machine = `${availableParallelism()} x ${cpus()[0]?.model ?? 'unknown CPU'}`
  const results = { date: new Date().toISOString(), machine, chromium: chromium.trim(), loadStart: load() }
  console.log(`browser bench: ${results.chromium}, load average ${results.loadStart}`)
  if (PARTS.has('epoch') || PARTS.has('pad')) {
    const served = await buildAndServe()
    try {
      if (PARTS.has('epoch')) {
        console.log(`epoch (${SEEDS} seeds, ${THREADS} threads, interleaved pairs):`)
        results.epoch = await epochBench(served.url)
      }
      if (PARTS.has('pad')) {
        console.log(`pad (${PAD_RUNS} fresh browsers):`)
        results.pad = await padBench(served.url)
      }
    } finally {
      await served.close()
      rmSync(served.outDir, { recursive: true, force: true })
    }
  }
  if (PARTS.has('install')) {
    console.log('install sizes (pnpm pack, npm i --prefer-offline):')
    results.install = await installBench()
  }
  results.loadEnd = load()
  results.seconds = (performance.now() - t0) / 1000
  report(results)
  console.log(`(bench took ${results.seconds.toFixed(0)} s)`)
  if (process.env.WEB_BENCH_JSON) {
    mkdirSync(dirname(process.env.WEB_BENCH_JSON), { recursive: true })
    writeFileSync(process.env.WEB_BENCH_JSON, `${JSON.stringify(results, null, 2)}\n`)
  }
}

await main()
