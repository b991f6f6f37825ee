// ms per training step and seconds per epoch of the default model, per available backend, side by side.
// Run from the package: `pnpm bench` (needs a build and real MNIST via MNIST_DATA_DIR / the cache / the mirrors).
// MNIST_BENCH_STEPS (default 60) timed steps after 5 warm-up steps; MNIST_BENCH_BACKENDS=simd,wasm to choose.
import os from 'node:os'
import { loadMnist } from '@mnist/data'
import { listBackends, train } from '../dist/index.js'

const steps = Number(process.env.MNIST_BENCH_STEPS ?? 60)
const warmup = 5
const wanted = process.env.MNIST_BENCH_BACKENDS?.split(',')
const data = await loadMnist()
const batch = 64
const available = (await listBackends()).filter((b) => b.available && (!wanted || wanted.includes(b.backend)))
const rows = []
for (const b of available) {
  // cpu is far slower: fewer steps keep the run short.
  const n = b.backend === 'cpu' ? Math.min(steps, 10) : steps
  let t0 = 0
  let timed = 0
  await train({
    backend: b.backend,
    data: { train: data.train, test: data.test },
    limit: (warmup + n) * batch,
    testLimit: 1,
    save: false,
    onProgress: (p) => {
      if (p.step === warmup) t0 = performance.now()
      if (p.step === warmup + n) timed = performance.now() - t0
    },
  })
  const ms = timed / n
  rows.push({ backend: b.backend, device: b.device, msPerStep: ms.toFixed(1), secondsPerEpoch: ((ms * Math.ceil(60000 / batch)) / 1000).toFixed(1), steps: n })
}
console.log(`machine: ${os.cpus()[0]?.model ?? 'unknown CPU'} x ${os.cpus().length}, node ${process.versions.node}, batch ${batch}`)
console.table(rows)
