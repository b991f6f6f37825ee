import { createRequire } from 'node:module'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
// tfjs-layers' Node bundle registers tfjs-core's gradients.
import '@tensorflow/tfjs-layers'
import '@tensorflow/tfjs-backend-cpu'
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm'
import { beforeAll, describe, expect, it } from 'vitest'
import { registerWasmTrainingKernels } from './wasm-kernels'

const require = createRequire(import.meta.url)

beforeAll(async () => {
  setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep)
  registerWasmTrainingKernels()
  expect(await tf.setBackend('wasm')).toBe(true)
})

async function filterGrad(
  backend: string,
  xShape: [number, number, number, number],
  filterShape: [number, number, number, number],
  strides: number,
  pad: 'same' | 'valid',
): Promise<Float32Array> {
  await tf.setBackend(backend)
  const values = (n: number, seed: number): Float32Array => {
    const out = new Float32Array(n)
    let s = seed
    for (let i = 0; i < n; i++) {
      s = (s * 1103515245 + 12345) % 2147483648
      out[i] = s / 2147483648 - 0.5
    }
    return out
  }
  return tf.tidy(() => {
    const x = tf.tensor4d(values(xShape.reduce((a, b) => a * b, 1), 1), xShape)
    const w = tf.tensor4d(values(filterShape.reduce((a, b) => a * b, 1), 2), filterShape)
    const g = tf.grad((f: tf.Tensor) => tf.sum(tf.square(tf.conv2d(x, f as tf.Tensor4D, strides, pad))))(w)
    return g.dataSync() as Float32Array
  })
}

describe('Conv2DBackpropFilter on wasm', () => {
  const cases: Array<[string, [number, number, number, number], [number, number, number, number], number, 'same' | 'valid']> = [
    ['3x3 same', [2, 7, 6, 3], [3, 3, 3, 4], 1, 'same'],
    ['3x3 valid', [3, 9, 9, 2], [3, 3, 2, 5], 1, 'valid'],
    ['1x1', [2, 5, 5, 4], [1, 1, 4, 3], 1, 'same'],
    ['strided 3x3 same', [1, 8, 7, 2], [3, 3, 2, 2], 2, 'same'],
  ]
  it.each(cases)('%s matches cpu', async (_name, xShape, fShape, strides, pad) => {
    const before = tf.memory().numTensors
    const cpu = await filterGrad('cpu', xShape, fShape, strides, pad)
    const wasm = await filterGrad('wasm', xShape, fShape, strides, pad)
    expect(wasm.length).toBe(cpu.length)
    for (let i = 0; i < cpu.length; i++) expect(wasm[i]).toBeCloseTo(cpu[i]!, 4)
    expect(tf.memory().numTensors).toBe(before)
  })
})
