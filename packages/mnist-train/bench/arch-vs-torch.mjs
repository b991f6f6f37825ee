// Any architecture against PyTorch on the same network, in one run (`pnpm bench` runs it after train-step.mjs):
// 1. model C (examples/architectures/model-c.json, through train() on simd, its recipe of docs/pytorch-reference.md:
//    batch 64, AdamW, one-cycle lr 0.02 with 20 % warm-up, no label smoothing): one epoch and its test accuracy against
//    PyTorch on the same network and seed (bench/torch_reference.py C), MNIST_BENCH_PAIRS pairs (seeds 1, 2, ...; the
//    side that goes first alternates), the median ratio and the mean accuracies; after the first pair, inference on the
//    10,000 test images at batch 1000 (@mnist/eval's evaluate: fused inference, and model.predict) against PyTorch's;
//    then the floor its kernel work puts under the epoch (bench/fused-floor.mjs).
// 2. the default network with its default settings (bench/full-epoch.mjs, its own process) against PyTorch's model B
//    at batch 64, MNIST_BENCH_PAIRS (default 3) alternating pairs, the median of the pairs' ratios.
// Needs a build, real MNIST (MNIST_DATA_DIR) and /usr/bin/python3 with torch (Debian's python3-torch); without torch
// only our side runs. MNIST_BENCH_ARCH=0 skips the whole file. On a shared machine only ratios within one run compare.
import { execFileSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import os from 'node:os'
import { fileURLToPath } from 'node:url'
import { loadMnist } from '@mnist/data'
import { evaluate } from '@mnist/eval'
import { train } from '../dist/index.js'
import { fusedStepFloor } from './fused-floor.mjs'

if (process.env.MNIST_BENCH_ARCH === '0') process.exit(0)
const pairs = Number(process.env.MNIST_BENCH_PAIRS ?? 3)
const here = (p) => fileURLToPath(new URL(p, import.meta.url))
const torchScript = here('./torch_reference.py')
const dataDir = process.env.MNIST_DATA_DIR
// torch_reference.py reads the gzip IDX files from MNIST_DATA_DIR
const withTorch = process.env.MNIST_BENCH_TORCH !== '0' && dataDir && existsSync('/usr/bin/python3') && hasTorch()
const data = await loadMnist()
console.log(
  `machine: ${os.cpus()[0]?.model ?? 'unknown CPU'} x ${os.cpus().length}, node ${process.versions.node}, ` +
    `load average ${os.loadavg()[0].toFixed(1)}`,
)

// 1. model C
const modelC = JSON.parse(readFileSync(here('../../../examples/architectures/model-c.json'), 'utf8'))
// model C's recipe batch (docs/pytorch-reference.md), for train() and the floor alike
const C_BATCH = 64
const pct = (x) => `${(x * 100).toFixed(2)} %`
const cRatios = []
const cAccuracy = { ours: [], torch: [] }
const cTorchSeconds = []
for (let i = 0; i < pairs; i++) {
  const seed = i + 1
  // alternate which side goes first, so a slow minute on the shared machine does not always hit the same side
  const torchFirst = withTorch && i % 2 === 1
  const torch = torchFirst ? runTorch('C', seed) : undefined
  const ours = await trainModelC(seed, i === 0)
  const t = torch ?? (withTorch ? runTorch('C', seed) : undefined)
  cAccuracy.ours.push(ours.testAccuracy)
  let line = `model C pair ${i + 1} (seed ${seed}): simd (${ours.stepEngine} step) ${ours.trainSeconds.toFixed(1)} s, ${pct(ours.testAccuracy)}`
  if (t) {
    cRatios.push(ours.trainSeconds / t.trainSeconds)
    cAccuracy.torch.push(t.testAccuracy)
    cTorchSeconds.push(t.trainSeconds)
    line += `; PyTorch ${t.torch} ${t.trainSeconds.toFixed(1)} s, ${pct(t.testAccuracy)}: ${cRatios.at(-1).toFixed(2)}x`
  }
  console.log(line)
  if (i === 0) {
    console.log(
      `  inference (seed 1 weights): ${Math.round(ours.inference.fused)} images/s fused, ` +
        `${Math.round(ours.inference.predict)} images/s through model.predict` +
        (t
          ? `; PyTorch ${Math.round(t.imagesPerSecond)} images/s: ${(ours.inference.fused / t.imagesPerSecond).toFixed(2)}x ` +
            `(model.predict: ${(ours.inference.predict / t.imagesPerSecond).toFixed(2)}x)`
          : ''),
    )
  }
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length
console.log(
  `model C: mean test accuracy ${pct(mean(cAccuracy.ours))}` +
    (cRatios.length > 0
      ? ` (PyTorch ${pct(mean(cAccuracy.torch))}); epoch time median of ${cRatios.length} pairs ${median(cRatios).toFixed(2)}x PyTorch's`
      : ''),
)

// the floor that model C's kernel work puts under its epoch (bench/fused-floor.mjs)
const floor = await fusedStepFloor(modelC, { batchSize: C_BATCH })
const steps = Math.ceil(data.train.count / C_BATCH)
const floorSeconds = (steps * floor.cpuMs) / 1000 / floor.threads
console.log(
  `model C floor: a step is ${floor.cpuMs.toFixed(1)} ms of kernel work on one thread (${floor.wallMs.toFixed(1)} ms ` +
    `wall on ${floor.threads}); split perfectly over ${floor.threads} threads, ${steps} steps take ` +
    `${floorSeconds.toFixed(1)} s` +
    (cTorchSeconds.length > 0
      ? ` = ${(floorSeconds / median(cTorchSeconds)).toFixed(2)}x PyTorch's median ${median(cTorchSeconds).toFixed(1)} s`
      : ''),
)

/** One epoch of model C at its recipe; with `measureInference`, then the 10,000 test images fused and through predict. */
async function trainModelC(seed, measureInference) {
  const r = await train({
    backend: 'simd',
    model: modelC,
    config: { batchSize: C_BATCH, labelSmoothing: 0, maxLr: 0.02, pctStart: 0.2, seed },
    data: { train: data.train, test: data.test },
    save: false,
    keepModel: true,
  })
  const inference = {}
  for (const fused of measureInference ? [true, false] : []) {
    await evaluate(r.model, data.test, { batchSize: 1000, limit: 1000, fused }) // warm-up (and the fold)
    const t0 = performance.now()
    await evaluate(r.model, data.test, { batchSize: 1000, fused })
    inference[fused ? 'fused' : 'predict'] = data.test.count / ((performance.now() - t0) / 1000)
  }
  r.model.dispose()
  return { ...r, inference }
}

// 2. the default network against B, alternating pairs
const ratios = []
for (let i = 0; i < pairs; i++) {
  const out = execFileSync(process.execPath, [here('./full-epoch.mjs'), 'simd', 'fused'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  })
  const full = JSON.parse(out.trim().split('\n').pop())
  let line = `pair ${i + 1}: default network ${full.trainSeconds.toFixed(1)} s (${pct(full.testAccuracy)})`
  if (withTorch) {
    const b = runTorch('B', i)
    ratios.push(full.trainSeconds / b.trainSeconds)
    line += `, PyTorch B ${b.trainSeconds.toFixed(1)} s (${pct(b.testAccuracy)}): ${ratios.at(-1).toFixed(2)}x`
  }
  console.log(line)
}
if (ratios.length > 0)
  console.log(`default network vs PyTorch B: median of ${ratios.length} pairs ${median(ratios).toFixed(2)}x`)
if (!withTorch)
  console.log(
    `PyTorch head-to-head skipped: ${
      process.env.MNIST_BENCH_TORCH === '0'
        ? 'MNIST_BENCH_TORCH=0'
        : !dataDir
          ? 'MNIST_DATA_DIR is not set'
          : '/usr/bin/python3 has no torch (apt-get install python3-torch)'
    }`,
  )

function runTorch(model, seed) {
  const out = execFileSync('/usr/bin/python3', [torchScript, model, String(seed), '2'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, MNIST_DATA_DIR: dataDir },
  })
  return JSON.parse(out.trim().split('\n').pop())
}

function hasTorch() {
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import torch'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
