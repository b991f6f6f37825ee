// ms per training step and seconds per epoch of the default model, per available backend, side by side; simd twice:
// with its fused step (the default) and with the tfjs step. Then one real full epoch on simd (fused) in its own
// process: seconds, test accuracy, peak RSS. Run from the package: `pnpm bench` (needs a build and real MNIST via
// MNIST_DATA_DIR / the cache / the mirrors). MNIST_BENCH_STEPS (default 60) timed steps after 30 warm-up steps;
// MNIST_BENCH_BACKENDS=simd,wasm to choose; MNIST_BENCH_BATCH (default: the default batch size);
// MNIST_BENCH_FULL_EPOCH=0 skips the full epoch. Optional head-to-head: when /usr/bin/python3 has torch (Debian's
// python3-torch), one full epoch of the same architecture and batch size in PyTorch with 2 threads, and the ratios;
// MNIST_BENCH_REPEAT (default 3) full epochs of each, alternating, best of each.
import os from 'node:os'
import { loadMnist } from '@mnist/data'
import { execFileSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { DEFAULT_TRAIN_CONFIG, listBackends, train } from '../dist/index.js'

const steps = Number(process.env.MNIST_BENCH_STEPS ?? 60)
// 30 warm-up steps: past the wasm compile, the worker start-up and the fused step's first thread-count probe (step ~20).
const warmup = 30
const wanted = process.env.MNIST_BENCH_BACKENDS?.split(',')
const data = await loadMnist()
const batch = Number(process.env.MNIST_BENCH_BATCH ?? DEFAULT_TRAIN_CONFIG.batchSize)
const available = (await listBackends()).filter((b) => b.available && (!wanted || wanted.includes(b.backend)))
const rows = []
const runs = available.flatMap((b) =>
  b.backend === 'simd'
    ? [
        { ...b, fusedStep: true },
        { ...b, fusedStep: false },
      ]
    : [{ ...b, fusedStep: true }],
)
for (const b of runs) {
  // cpu is far slower: fewer steps keep the run short.
  const n = b.backend === 'cpu' ? Math.min(steps, 10) : steps
  let t0 = 0
  let timed = 0
  let engine = ''
  await train({
    backend: b.backend,
    fusedStep: b.fusedStep,
    onStart: (info) => (engine = info.stepEngine),
    data: { train: data.train, test: data.test },
    config: { batchSize: batch },
    limit: (warmup + n) * batch,
    testLimit: 1,
    save: false,
    onProgress: (p) => {
      if (p.step === warmup) t0 = performance.now()
      if (p.step === warmup + n) timed = performance.now() - t0
    },
  })
  const ms = timed / n
  rows.push({
    backend: b.backend,
    step: engine,
    device: b.device,
    msPerStep: ms.toFixed(1),
    secondsPerEpoch: ((ms * Math.ceil(60000 / batch)) / 1000).toFixed(1),
    steps: n,
  })
}
console.log(
  `machine: ${os.cpus()[0]?.model ?? 'unknown CPU'} x ${os.cpus().length}, node ${process.versions.node}, batch ${batch}`,
)
console.table(rows)

// The head-to-head: one real epoch with the default settings on simd (in a child process: its peak RSS is the training
// run's own) and, when Debian's python3-torch is there, one full epoch of the same network in PyTorch
// (docs/architecture-search/timing.py: conv 8-16-24-24 + BN + ReLU, max-pooling, flatten, dropout, dense; AdamW;
// 2 threads). MNIST_BENCH_REPEAT (default 3) alternates them that many times; each side's best counts, since on a
// shared machine a neighbour's load slows whichever run it lands on (the median of the pairs' ratios is printed too).
const repeat = Number(process.env.MNIST_BENCH_REPEAT ?? 3)
const timing = fileURLToPath(new URL('../../../docs/architecture-search/timing.py', import.meta.url))
const withTorch = process.env.MNIST_BENCH_TORCH !== '0' && existsSync('/usr/bin/python3') && existsSync(timing)
const withFull = process.env.MNIST_BENCH_FULL_EPOCH !== '0' && available.some((b) => b.backend === 'simd')
const fulls = []
const torchRuns = []
let torchMissing = false
for (let i = 0; i < repeat; i++) {
  if (withFull) {
    const child = fileURLToPath(new URL('./full-epoch.mjs', import.meta.url))
    const out = execFileSync(process.execPath, [child, 'simd', 'fused'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    const full = JSON.parse(out.trim().split('\n').pop())
    fulls.push(full)
    console.log(
      `full epoch on simd (${full.stepEngine} step, default settings): ${full.trainSeconds.toFixed(1)} s training, ` +
        `test accuracy ${(full.testAccuracy * 100).toFixed(2)} %, peak RSS ${full.maxRssMB} MB`,
    )
  }
  if (withTorch && !torchMissing) {
    try {
      const out = execFileSync('/usr/bin/python3', [timing, '2', `c8-p-c16-p-c24-c24-f-r0.05-o:${batch}`], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'ignore'],
        env: { ...process.env, TIMING_FULL_EPOCH: '1' },
      })
      const m = /est s\/epoch\(60k\) ([\d.]+)/.exec(out)
      if (m) {
        torchRuns.push(Number(m[1]))
        console.log(`PyTorch 2 threads, same architecture, batch ${batch}: ${Number(m[1]).toFixed(1)} s/epoch`)
      }
    } catch {
      torchMissing = true
      console.log('PyTorch head-to-head skipped: /usr/bin/python3 has no torch (apt-get install python3-torch)')
    }
  }
}
if (torchRuns.length > 0) {
  const torchSeconds = Math.min(...torchRuns)
  console.log(`PyTorch best of ${torchRuns.length}: ${torchSeconds.toFixed(1)} s/epoch`)
  for (const r of rows)
    console.log(
      `  ${r.backend} (${r.step} step, estimated from ${r.steps} steps): ${(Number(r.secondsPerEpoch) / torchSeconds).toFixed(2)}x PyTorch's time`,
    )
  if (fulls.length > 0) {
    const best = Math.min(...fulls.map((f) => f.trainSeconds))
    const pairs = fulls.flatMap((f, i) => (torchRuns[i] ? [f.trainSeconds / torchRuns[i]] : []))
    console.log(
      `  simd full epoch (fused step), best of ${fulls.length}: ${best.toFixed(1)} s = ${(best / torchSeconds).toFixed(2)}x PyTorch's time` +
        ` (each pair: ${pairs.map((r) => r.toFixed(2)).join(', ')}; median ${median(pairs).toFixed(2)})`,
    )
  }
}

function median(xs) {
  const s = [...xs].sort((a, b) => a - b)
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2
}
