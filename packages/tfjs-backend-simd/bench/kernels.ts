// Per-kernel ms and GFLOP/s for the default model's real shapes (batch 32; BENCH_MODEL=C: model C at batch 64), side
// by side: simd (1 and 2 threads), the stock cpu backend and the stock tfjs wasm backend (where it has the kernel).
//   node --import tsx bench/kernels.ts
// env: BENCH_CPU=0 skips the (slow) cpu column; BENCH_REPS (default 10) repetitions, the best is kept.
import '@tensorflow/tfjs-backend-wasm'
import * as tf from '@tensorflow/tfjs-core'
import { cpus, loadavg } from 'node:os'
import { getSimdBackend, setThreadsCount, simdFeatures } from '../src/index'
import { BATCH, CONV_SHAPES, convFlops, MODEL_NAME, outShape } from './shapes'

const REPS = Number(process.env.BENCH_REPS ?? 10)
const WITH_CPU = process.env.BENCH_CPU !== '0'

interface Bench {
  name: string
  flops: number // 0: memory-bound, report ms only
  inputs: Record<string, number[]>
  run: (t: Record<string, tf.Tensor>) => tf.Tensor | tf.Tensor[]
  backends?: string[]
}

const k = (name: string, attrs: Record<string, unknown>) => (t: Record<string, tf.Tensor>) =>
  tf.engine().runKernel(name, t, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[]

const BENCHES: Bench[] = []
for (const s of CONV_SHAPES) {
  const conv = { strides: [1, 1], pad: s.pad, dataFormat: 'NHWC', dilations: [1, 1] }
  BENCHES.push(
    {
      name: `Conv2D ${s.name}`,
      flops: convFlops(s),
      inputs: { x: s.x, filter: s.f },
      run: k('FusedConv2D', { ...conv, activation: 'linear' }),
    },
    {
      name: `Conv2DBackpropInput ${s.name}`,
      flops: convFlops(s),
      inputs: { dy: outShape(s), filter: s.f },
      run: k('Conv2DBackpropInput', { ...conv, inputShape: s.x }),
    },
    {
      name: `Conv2DBackpropFilter ${s.name}`,
      flops: convFlops(s),
      inputs: { x: s.x, dy: outShape(s) },
      run: k('Conv2DBackpropFilter', { ...conv, filterShape: s.f }),
      backends: ['simd', 'cpu'],
    },
  )
}
// The first layer's activations: the biggest memory-bound tensors of a step.
const A = [BATCH, 28, 28, 8]
const P = [BATCH, 14, 14, 8]
const S = `[${A.join(',')}]`
BENCHES.push(
  {
    name: `MaxPool 2x2 ${S}`,
    flops: 0,
    inputs: { x: A },
    run: k('MaxPool', { filterSize: 2, strides: 2, pad: 'valid' }),
  },
  {
    name: `MaxPoolGrad 2x2 ${S}`,
    flops: 0,
    inputs: { dy: P, input: A, output: P },
    run: k('MaxPoolGrad', { filterSize: 2, strides: 2, pad: 'valid' }),
    backends: ['simd', 'cpu'],
  },
  {
    name: `FusedBatchNorm ${S}`,
    flops: 0,
    inputs: { x: A, mean: [8], variance: [8], offset: [8], scale: [8] },
    run: k('FusedBatchNorm', { varianceEpsilon: 1e-3 }),
  },
  {
    name: `BatchNorm gradient (fused) ${S}`,
    flops: 0,
    inputs: { dy: A, x: A, mean: [8], variance: [8], scale: [8] },
    run: k('SimdFusedBatchNormGrad', { varianceEpsilon: 1e-3 }),
    backends: ['simd'],
  },
  { name: `Relu ${S}`, flops: 0, inputs: { x: A }, run: k('Relu', {}) },
  { name: `Multiply ${S} x [8]`, flops: 0, inputs: { a: A, b: [8] }, run: k('Multiply', {}) },
  { name: `Add ${S} + same`, flops: 0, inputs: { a: A, b: A }, run: k('Add', {}) },
  { name: `Mean axes [0,1,2] ${S}`, flops: 0, inputs: { x: A }, run: k('Mean', { axis: [0, 1, 2], keepDims: false }) },
  {
    name: `_FusedMatMul [${BATCH},1176]x[1176,10]+bias`,
    flops: 2 * BATCH * 1176 * 10,
    inputs: { a: [BATCH, 1176], b: [1176, 10], bias: [10] },
    run: k('_FusedMatMul', { transposeA: false, transposeB: false, activation: 'linear' }),
    backends: ['simd', 'cpu'],
  },
)

async function timeOn(backend: string, b: Bench): Promise<number | undefined> {
  await tf.setBackend(backend)
  // Inputs made by a kernel of this backend (on simd: wasm-resident, as activations are during training).
  const t = Object.fromEntries(
    Object.entries(b.inputs).map(([n, s]) => [
      n,
      tf.tidy(() => tf.add(n === 'variance' ? tf.randomUniform(s, 0.5, 2) : tf.randomNormal(s), 0)),
    ]),
  )
  const reps = backend === 'cpu' ? 1 : REPS
  let best = Infinity
  try {
    for (let i = 0; i < reps + 1; i++) {
      const t0 = performance.now()
      const out = b.run(t)
      const outs = Array.isArray(out) ? out : [out]
      outs[0]!.dataSync()
      const dt = performance.now() - t0
      if (i > 0 || reps === 1) best = Math.min(best, dt)
      tf.dispose(outs)
    }
  } catch {
    return undefined // kernel missing on this backend
  } finally {
    tf.dispose(Object.values(t))
  }
  return best
}

console.log(
  `machine: ${cpus().length} x ${cpus()[0]?.model}, node ${process.version}, load average ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
)
console.log(`${MODEL_NAME}; simd build: ${simdFeatures().build}; best of ${REPS} (cpu: 1 run)\n`)
const cols = ['simd 1T', 'simd 2T', ...(WITH_CPU ? ['cpu'] : []), 'tfjs-wasm']
console.log(`| kernel | ${cols.join(' | ')} | simd 2T vs cpu | simd 2T vs wasm |`)
console.log(`|---|${cols.map(() => '---:').join('|')}|---:|---:|`)
const fmt = (ms: number | undefined, flops: number) =>
  ms === undefined
    ? '–'
    : flops > 0
      ? `${ms.toFixed(2)} ms, ${(flops / ms / 1e6).toFixed(1)} GF/s`
      : `${ms.toFixed(2)} ms`
for (const b of BENCHES) {
  const allowed = b.backends ?? ['simd', 'cpu', 'wasm']
  const row: (number | undefined)[] = []
  for (const threads of [1, 2]) {
    setThreadsCount(threads)
    await tf.setBackend('simd')
    for (let i = 0; i < 300 && getSimdBackend()!.rt.threads < threads; i++) await new Promise((r) => setTimeout(r, 10))
    row.push(await timeOn('simd', b))
  }
  if (WITH_CPU) row.push(allowed.includes('cpu') ? await timeOn('cpu', b) : undefined)
  row.push(allowed.includes('wasm') ? await timeOn('wasm', b) : undefined)
  const cpu = WITH_CPU ? row[2] : undefined
  const wasm = row[row.length - 1]
  const ratio = (x: number | undefined) => (x && row[1] ? `${(x / row[1]).toFixed(1)}x` : '–')
  console.log(`| ${b.name} | ${row.map((ms) => fmt(ms, b.flops)).join(' | ')} | ${ratio(cpu)} | ${ratio(wasm)} |`)
}
