import { createRequire } from 'node:module'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
// tfjs-layers' Node bundle registers tfjs-core's gradients.
import '@tensorflow/tfjs-layers'
import '@tensorflow/tfjs-backend-cpu'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { beforeAll, describe, expect, it } from 'vitest'
import { registerCpuTrainingKernels } from './cpu-kernels'
import { registerWasmTrainingKernels } from './wasm-kernels'

const require = createRequire(import.meta.url)
type Shape4 = [number, number, number, number]

beforeAll(async () => {
  tf.env().set('PROD', true)
  setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep)
  registerWasmTrainingKernels()
  registerCpuTrainingKernels()
  expect(await tf.setBackend('wasm')).toBe(true)
})

function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n)
  let s = seed
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) % 2147483648
    out[i] = s / 2147483648 - 0.5
  }
  return out
}

const size = (s: number[]): number => s.reduce((a, b) => a * b, 1)

/** dW by the definition: dW[fh,fw,ci,co] = sum over b,oh,ow of x[b, oh*s+fh-top, ow*s+fw-left, ci] * dy[b,oh,ow,co]. */
function reference(
  x: Float32Array,
  xShape: Shape4,
  dy: Float32Array,
  dyShape: Shape4,
  f: Shape4,
  s: number,
  top: number,
  left: number,
): Float64Array {
  const [B, H, W, C] = xShape
  const [, OH, OW, CO] = dyShape
  const out = new Float64Array(size(f))
  for (let fh = 0; fh < f[0]; fh++)
    for (let fw = 0; fw < f[1]; fw++)
      for (let ci = 0; ci < C; ci++)
        for (let co = 0; co < CO; co++) {
          let sum = 0
          for (let b = 0; b < B; b++)
            for (let oh = 0; oh < OH; oh++)
              for (let ow = 0; ow < OW; ow++) {
                const ih = oh * s + fh - top
                const iw = ow * s + fw - left
                if (ih < 0 || ih >= H || iw < 0 || iw >= W) continue
                sum += x[((b * H + ih) * W + iw) * C + ci]! * dy[((b * OH + oh) * OW + ow) * CO + co]!
              }
          out[((fh * f[1] + fw) * C + ci) * CO + co] = sum
        }
  return out
}

const cases: Array<[string, Shape4, Shape4, number, 'same' | 'valid']> = [
  ['3x3 same', [2, 7, 6, 3], [3, 3, 3, 4], 1, 'same'],
  ['3x3 valid', [3, 9, 9, 2], [3, 3, 2, 5], 1, 'valid'],
  ['1x1', [2, 5, 5, 4], [1, 1, 4, 3], 1, 'same'],
  ['strided 3x3 same', [1, 8, 7, 2], [3, 3, 2, 2], 2, 'same'],
]

describe.each(['cpu', 'wasm'])('Conv2DBackpropFilter on %s', (backend) => {
  it.each(cases)('%s matches the definition and tf.grad', async (_name, xShape, fShape, strides, pad) => {
    await tf.setBackend(backend)
    const before = tf.memory().numTensors
    const xv = values(size(xShape), 1)
    const wv = values(size(fShape), 2)
    const { grad, dy, dyShape } = tf.tidy(() => {
      const x = tf.tensor4d(xv, xShape)
      const w = tf.tensor4d(wv, fShape)
      const y = tf.conv2d(x, w, strides, pad)
      const upstream = tf.tensor4d(values(size(y.shape), 3), y.shape as Shape4)
      // d/dw sum(conv(x, w) * upstream) is exactly Conv2DBackpropFilter(x, upstream).
      const g = tf.grad((f: tf.Tensor) => tf.sum(tf.mul(tf.conv2d(x, f as tf.Tensor4D, strides, pad), upstream)))(w)
      return {
        grad: g.dataSync().slice() as Float32Array,
        dy: upstream.dataSync().slice() as Float32Array,
        dyShape: y.shape as Shape4,
      }
    })
    const info = tf.backend_util.computeConv2DInfo(xShape, fShape, strides, 1, pad)
    const want = reference(xv, xShape, dy, dyShape, fShape, strides, info.padInfo.top, info.padInfo.left)
    expect(grad.length).toBe(want.length)
    for (let i = 0; i < want.length; i++) expect(grad[i]).toBeCloseTo(want[i]!, 5)
    expect(tf.memory().numTensors).toBe(before)
  })
})
