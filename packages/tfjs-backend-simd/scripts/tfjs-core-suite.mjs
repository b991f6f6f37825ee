// Runs TensorFlow.js's own op test suite (the specs tfjs-core ships in dist/, as tfjs-backend-cpu runs them) on cpu
// and on simd in several modes (test/tfjs-core/modes.ts), one process per mode, prints the counts of each, and exits
// non-zero when a spec that passes on cpu fails (or does not run) on simd.
//   node scripts/tfjs-core-suite.mjs [--modes cpu,simd-1t,...] [--jobs 2] [--json out.json]
// The bundle is built with esbuild: one tfjs-core instance for the suite, the backends and this package's source.
import { spawn } from 'node:child_process'
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const require = createRequire(import.meta.url)
const arg = (name, fallback) => {
  const i = process.argv.indexOf(name)
  return i >= 0 ? process.argv[i + 1] : fallback
}

/** One mode: load the bundle under jasmine, record every spec's status. */
async function child(bundle, out) {
  const Jasmine = require('jasmine')
  const runner = new Jasmine({ globals: true })
  runner.exitOnCompletion = false
  runner.randomizeTests(false)
  runner.clearReporters()
  const specs = []
  runner.addReporter({
    specDone: (r) =>
      specs.push({ name: r.fullName, status: r.status, message: r.failedExpectations?.[0]?.message?.slice(0, 300) }),
  })
  process.on('unhandledRejection', (e) => {
    throw e
  })
  // The specs take longer than jasmine's 5 s default on a busy 2-core machine (the large conv/matmul ones).
  runner.env.configure({ random: false })
  globalThis.jasmine.DEFAULT_TIMEOUT_INTERVAL = 60_000
  const res = await runner.execute([bundle])
  writeFileSync(out, JSON.stringify({ status: res.overallStatus, specs }))
  process.exit(0)
}

async function bundle(dir) {
  const esbuild = await import('esbuild')
  const outfile = join(dir, 'suite.cjs')
  await esbuild.build({
    entryPoints: [join(root, 'test', 'tfjs-core', 'entry.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile,
    logLevel: 'error',
    // tfjs-core's ESM build (one instance for the suite and the backends); its package.json marks the test files
    // side-effect free, which would drop every spec.
    mainFields: ['module', 'main'],
    ignoreAnnotations: true,
    // jasmine's globals are read at run time; the node-fetch/util shims tfjs-core's io tests require stay outside.
    external: ['jasmine', 'node-fetch'],
  })
  return outfile
}

function runMode(file, mode, dir) {
  const out = join(dir, `${mode}.json`)
  const started = Date.now()
  // The specs print (profiling, deprecation warnings): kept in a log, shown when a mode ends without results.
  const log = join(dir, `${mode}.log`)
  const fd = openSync(log, 'w')
  return new Promise((resolve, reject) => {
    // No V8 flags: Node 22+ refuses --experimental-wasm-relaxed-simd, and on Node 20 the backend turns it on itself.
    const args = [fileURLToPath(import.meta.url), '--child', file, out]
    const p = spawn(process.execPath, args, {
      env: { ...process.env, SIMD_SUITE_MODE: mode, SIMD_SUITE_WASM_DIR: join(root, 'wasm-out') },
      stdio: ['ignore', fd, fd],
    })
    p.on('error', reject)
    p.on('exit', (code) => {
      try {
        resolve({ mode, seconds: (Date.now() - started) / 1000, ...JSON.parse(readFileSync(out, 'utf8')) })
      } catch (e) {
        process.stderr.write(readFileSync(log, 'utf8').slice(-4000))
        reject(new Error(`tfjs-core suite, mode ${mode}: exited with ${code} and no results`, { cause: e }))
      }
    })
  })
}

function counts(r) {
  const c = { specs: r.specs.length, passed: 0, failed: 0, pending: 0, excluded: 0 }
  for (const s of r.specs) {
    if (s.status === 'passed') c.passed++
    else if (s.status === 'failed') c.failed++
    else if (s.status === 'pending') c.pending++
    else c.excluded++
  }
  return c
}

async function main() {
  const { SUITE_MODES, CPU_ONLY_SUITES } = await loadModes()
  const names = arg('--modes', SUITE_MODES.map((m) => m.name).join(',')).split(',')
  if (!names.includes('cpu')) names.unshift('cpu')
  const jobs = Number(arg('--jobs', '1'))
  const dir = mkdtempSync(join(tmpdir(), 'tfjs-core-suite-'))
  try {
    const file = await bundle(dir)
    const results = []
    const queue = [...names]
    await Promise.all(
      Array.from({ length: jobs }, async () => {
        for (let m = queue.shift(); m; m = queue.shift()) results.push(await runMode(file, m, dir))
      }),
    )
    if (process.env.SIMD_SUITE_KEEP) writeFileSync(process.env.SIMD_SUITE_KEEP, JSON.stringify(results))
    report(results, names, SUITE_MODES, CPU_ONLY_SUITES)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

async function loadModes() {
  const esbuild = await import('esbuild')
  const r = await esbuild.build({
    entryPoints: [join(root, 'test', 'tfjs-core', 'modes.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'node',
    logLevel: 'error',
  })
  return import(`data:text/javascript;base64,${Buffer.from(r.outputFiles[0].text).toString('base64')}`)
}

/** Spec name without the environment part ("add cpu {} ..." and "add simd-1t {} ..." name the same spec). */
const key = (name, mode) => name.replaceAll(` ${mode} {}`, ' <env> {}')

function report(results, names, modes, cpuOnly) {
  results.sort((a, b) => names.indexOf(a.mode) - names.indexOf(b.mode))
  const cpu = results.find((r) => r.mode === 'cpu')
  const cpuStatus = new Map(cpu.specs.map((s) => [key(s.name, 'cpu'), s.status]))
  let regressions = 0
  console.log('\ntfjs-core op test suite (@tensorflow/tfjs-core dist/tests.js)')
  console.log('mode                    scope    specs  passed  failed  pending  time')
  for (const r of results) {
    const c = counts(r)
    const scope = modes.find((m) => m.name === r.mode)?.subset ? 'subset' : 'full'
    const cols = [
      [c.specs - c.excluded, 7],
      [c.passed, 8],
      [c.failed, 8],
      [c.pending, 9],
    ]
    console.log(
      `${r.mode.padEnd(24)}${scope.padEnd(7)}${cols.map(([v, w]) => String(v).padStart(w)).join('')}` +
        `  ${r.seconds.toFixed(0)} s`,
    )
  }
  for (const r of results) {
    if (r.mode === 'cpu') continue
    const bad = []
    const ran = new Map(r.specs.map((s) => [key(s.name, r.mode), s]))
    const subset = modes.find((m) => m.name === r.mode)?.subset
    for (const s of r.specs) {
      if (s.status === 'failed' && cpuStatus.get(key(s.name, r.mode)) === 'passed') {
        bad.push(`${s.name}\n      ${s.message}`)
      }
    }
    if (!subset) {
      for (const [k, status] of cpuStatus) {
        if (status === 'passed' && !ran.has(k) && !cpuOnly.some((c) => k.startsWith(c))) bad.push(`${k} (did not run)`)
      }
    }
    for (const b of bad) console.log(`FAIL on ${r.mode} (passes on cpu): ${b}`)
    regressions += bad.length
  }
  const out = arg('--json')
  const summary = results.map((r) => ({ mode: r.mode, seconds: r.seconds, ...counts(r) }))
  if (out) writeFileSync(out, JSON.stringify(summary, null, 2))
  if (regressions > 0) {
    console.log(`\n${regressions} spec(s) pass on cpu and fail on simd`)
    process.exitCode = 1
  } else console.log('\nno spec that passes on cpu fails on simd')
}

if (process.argv[2] === '--child') await child(process.argv[3], process.argv[4])
else await main()
