// One epoch-equivalent of model C training (60,000 images at batch 64 = 938 steps) on simd, with the time per step
// split into kernel time and outside-kernel time, peak RSS, and a cpu-backend estimate from a few steps.
//   node --import tsx bench/epoch.ts   (on Node 20 the backend turns relaxed SIMD on by itself)
// env: BENCH_STEPS (default 938), BENCH_THREADS (default "1,2"), BENCH_CPU_STEPS (default 2; 0 = skip),
//      MNIST_DATA_DIR (real MNIST train images, gzip IDX; random data otherwise)
import * as tf from '@tensorflow/tfjs-core'
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { getSimdBackend, setThreadsCount, simdFeatures } from '../src/index'
import { instrumentKernels } from './_timer'
import { buildModelC, JsAdamW, randomBatch, trainableVariables, trainStep } from './model'

const STEPS = Number(process.env.BENCH_STEPS ?? 938)
const THREADS = (process.env.BENCH_THREADS ?? '1,2').split(',').map(Number)
const CPU_STEPS = Number(process.env.BENCH_CPU_STEPS ?? 2)
const BATCH = 64

// Images stay uint8 (47 MB) and are scaled per batch, as a training program would keep them.
function loadImages(): { xs: Uint8Array; ys: Float32Array; n: number; source: string } {
  const dir = process.env.MNIST_DATA_DIR
  const img = dir && join(dir, 'train-images-idx3-ubyte.gz')
  const lab = dir && join(dir, 'train-labels-idx1-ubyte.gz')
  if (img && lab && existsSync(img) && existsSync(lab)) {
    const im = gunzipSync(readFileSync(img)).subarray(16)
    const lb = gunzipSync(readFileSync(lab)).subarray(8)
    const n = lb.length
    const xs = new Uint8Array(im.subarray(0, n * 784))
    const ys = new Float32Array(n * 10)
    for (let i = 0; i < n; i++) ys[i * 10 + lb[i]!] = 1
    return { xs, ys, n, source: `real MNIST (${dir})` }
  }
  const n = 60000
  const xs = new Uint8Array(n * 784),
    ys = new Float32Array(n * 10)
  for (let i = 0; i < n; i += BATCH) {
    const b = randomBatch(Math.min(BATCH, n - i), i + 1)
    for (let j = 0; j < b.xs.length; j++) xs[i * 784 + j] = Math.floor(b.xs[j]! * 256)
    ys.set(b.ys, i * 10)
  }
  return { xs, ys, n, source: 'random data' }
}

const data = loadImages()
console.log(`model C, batch ${BATCH}, ${STEPS} steps, ${data.source}`)
console.log(
  `machine: ${cpus().length} x ${cpus()[0]?.model}, node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
)
console.log(`simd features: ${JSON.stringify(simdFeatures())}`)

async function run(backend: string, steps: number, threads?: number) {
  if (threads) setThreadsCount(threads)
  await tf.setBackend(backend)
  if (backend === 'simd') {
    // wait for the workers
    for (let i = 0; i < 500 && getSimdBackend()!.rt.threads < (threads ?? 1); i++)
      await new Promise((r) => setTimeout(r, 10))
  }
  const timer = instrumentKernels(backend)
  const model = buildModelC(1)
  const opt = new JsAdamW(trainableVariables(model))
  const xb = new Float32Array(BATCH * 784)
  const batchAt = (s: number) => {
    const off = (s * BATCH) % (data.n - BATCH)
    const src = data.xs.subarray(off * 784, (off + BATCH) * 784)
    for (let i = 0; i < xb.length; i++) xb[i] = src[i]! / 255
    return { xs: xb, ys: data.ys.subarray(off * 10, (off + BATCH) * 10) }
  }
  for (let s = 0; s < 2; s++) {
    const b = batchAt(s)
    trainStep(model, opt, b.xs, b.ys, BATCH)
  } // warm-up
  timer.reset()
  const tensors = tf.memory().numTensors
  const c0 = process.cpuUsage()
  const t0 = performance.now()
  let loss = 0
  for (let s = 0; s < steps; s++) {
    const b = batchAt(s)
    loss = trainStep(model, opt, b.xs, b.ys, BATCH)
  }
  const wall = performance.now() - t0
  const cpu = process.cpuUsage(c0)
  const leaked = tf.memory().numTensors - tensors
  const kernelMs = timer.totalMs()
  const top = [...timer.byKernel()]
    .sort((a, b) => b[1].ms - a[1].ms)
    .slice(0, 8)
    .map(([k, e]) => `${k} ${(e.ms / steps).toFixed(2)}`)
    .join(', ')
  model.dispose()
  return {
    wall,
    perStep: wall / steps,
    kernelPerStep: kernelMs / steps,
    cpuPerStep: (cpu.user + cpu.system) / 1000 / steps,
    loss,
    leaked,
    top,
  }
}

const results: Record<string, { perStep: number }> = {}
for (const t of THREADS) {
  const r = await run('simd', STEPS, t)
  results[`simd-${t}`] = r
  const outside = r.perStep - r.kernelPerStep
  console.log(
    `simd, ${t} thread(s): ${r.perStep.toFixed(1)} ms/step (kernels ${r.kernelPerStep.toFixed(1)}, outside ${outside.toFixed(1)} = ${((100 * outside) / r.perStep).toFixed(0)} %), ` +
      `CPU ${r.cpuPerStep.toFixed(1)} ms/step, ${STEPS} steps ${(r.wall / 1000).toFixed(1)} s, epoch (938 steps) ${((r.perStep * 938) / 1000).toFixed(1)} s, loss ${r.loss.toFixed(3)}, leaked tensors ${r.leaked}`,
  )
  console.log(`  top kernels (ms/step): ${r.top}`)
}
if (CPU_STEPS > 0) {
  const r = await run('cpu', CPU_STEPS)
  results.cpu = r
  console.log(
    `cpu: ${r.perStep.toFixed(0)} ms/step over ${CPU_STEPS} steps -> epoch estimate ${((r.perStep * 938) / 1000).toFixed(0)} s`,
  )
  const best = Math.min(...THREADS.map((t) => results[`simd-${t}`]!.perStep))
  console.log(`speed-up simd (best) vs cpu: ${(r.perStep / best).toFixed(0)}x`)
}
console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`)

// Optional: PyTorch, same architecture and steps, 2 threads (Debian's python3-torch). Never required.
if (process.env.BENCH_TORCH !== '0') {
  const py = '/usr/bin/python3'
  const hasTorch = existsSync(py) && spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0
  if (!hasTorch) {
    console.log('pytorch: skipped (no /usr/bin/python3 with torch; apt-get install python3-torch)')
  } else {
    const r = spawnSync(py, [join(dirname(fileURLToPath(import.meta.url)), 'torch_epoch.py'), String(STEPS), '2'], {
      encoding: 'utf8',
      env: process.env,
    })
    const line = r.stdout.trim().split('\n').pop() ?? ''
    try {
      const t = JSON.parse(line) as { msPerStep: number; torch: string }
      const best = Math.min(...THREADS.map((n) => results[`simd-${n}`]!.perStep))
      console.log(
        `pytorch ${t.torch}, 2 threads: ${t.msPerStep.toFixed(1)} ms/step, epoch ${((t.msPerStep * 938) / 1000).toFixed(1)} s; simd / pytorch time = ${(best / t.msPerStep).toFixed(2)}`,
      )
    } catch {
      console.log(`pytorch: failed (${r.stderr.trim().split('\n').pop()})`)
    }
  }
}
