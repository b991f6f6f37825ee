// Quick per-kernel timing of the conv shapes on simd (min of N): node --import tsx bench/quick.ts [threads]
import * as tf from '@tensorflow/tfjs-core'
import { setThreadsCount } from '../src/index'
import { CONV_SHAPES, convFlops, outShape } from './shapes'

setThreadsCount(Number(process.argv[2] ?? 1))
await tf.setBackend('simd')
function time(f: () => tf.Tensor, reps = 15): number {
  let best = Infinity
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now()
    const y = f()
    y.dataSync()
    best = Math.min(best, performance.now() - t0)
    y.dispose()
  }
  return best
}
for (const s of CONV_SHAPES) {
  const x = tf.randomNormal(s.x) as tf.Tensor4D,
    w = tf.randomNormal(s.f) as tf.Tensor4D,
    dy = tf.randomNormal(outShape(s)) as tf.Tensor4D
  const fl = convFlops(s) / 1e6
  const a = time(() => tf.conv2d(x, w, 1, s.pad))
  const b = time(
    () =>
      tf
        .engine()
        .runKernel(
          'Conv2DBackpropInput',
          { dy, filter: w },
          { inputShape: s.x, strides: [1, 1], pad: s.pad, dataFormat: 'NHWC' },
        ) as tf.Tensor,
  )
  const c = time(
    () =>
      tf
        .engine()
        .runKernel(
          'Conv2DBackpropFilter',
          { x, dy },
          { filterShape: s.f, strides: [1, 1], pad: s.pad, dataFormat: 'NHWC' },
        ) as tf.Tensor,
  )
  console.log(
    `${s.name.padEnd(26)} fwd ${a.toFixed(2)}ms ${(fl / a).toFixed(1)}GF  dx ${b.toFixed(2)}ms ${(fl / b).toFixed(1)}GF  dw ${c.toFixed(2)}ms ${(fl / c).toFixed(1)}GF`,
  )
  tf.dispose([x, w, dy])
}
