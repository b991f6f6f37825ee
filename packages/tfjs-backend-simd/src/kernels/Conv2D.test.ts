import * as tf from '@tensorflow/tfjs-core'
import { afterAll, describe, expect, test } from 'vitest'
import '../index'
import { compareKernel, MODES, useMode } from '../_testing'
import { setThreadsCount } from '../flags'

interface ConvCase {
  x: [number, number, number, number]
  f: [number, number, number, number]
  s: number
  pad: 'same' | 'valid' | [[number, number], [number, number], [number, number], [number, number]]
  d?: number
}

// Odd sizes, batch 1, strides 1 and 2, both paddings and explicit pads, 1x1, 3x3 and 5x5, and the model's shapes.
const CASES: ConvCase[] = [
  { x: [1, 5, 5, 1], f: [3, 3, 1, 3], s: 1, pad: 'same' },
  { x: [2, 7, 9, 3], f: [3, 3, 3, 8], s: 2, pad: 'same' },
  { x: [2, 7, 9, 3], f: [3, 3, 3, 5], s: 2, pad: 'valid' },
  { x: [3, 8, 8, 4], f: [1, 1, 4, 5], s: 1, pad: 'valid' },
  { x: [1, 6, 7, 2], f: [1, 1, 2, 3], s: 2, pad: 'valid' },
  { x: [2, 9, 7, 5], f: [5, 5, 5, 4], s: 1, pad: 'valid' },
  { x: [2, 10, 11, 6], f: [5, 5, 6, 7], s: 2, pad: 'same' },
  {
    x: [1, 6, 6, 3],
    f: [3, 3, 3, 4],
    s: 1,
    pad: [
      [0, 0],
      [1, 2],
      [2, 0],
      [0, 0],
    ],
  },
  { x: [2, 14, 14, 8], f: [3, 3, 8, 16], s: 1, pad: 'same' },
  { x: [3, 7, 7, 16], f: [1, 1, 16, 8], s: 1, pad: 'same' },
  { x: [2, 7, 7, 32], f: [3, 3, 32, 32], s: 1, pad: 'valid' },
  { x: [5, 28, 28, 1], f: [3, 3, 1, 8], s: 1, pad: 'same' },
  { x: [2, 9, 8, 1], f: [5, 5, 1, 12], s: 2, pad: 'same' },
  { x: [1, 7, 6, 1], f: [3, 2, 1, 4], s: 1, pad: 'valid' },
  // one input channel, 3x3: the direct kernels (interior and border pixels, strides, 12 = three channel vectors)
  { x: [3, 9, 7, 1], f: [3, 3, 1, 12], s: 2, pad: 'same' },
  { x: [2, 6, 11, 1], f: [3, 3, 1, 4], s: 1, pad: 'valid' },
]

function label(c: ConvCase): string {
  return `x${c.x.join('x')} f${c.f.join('x')} s${c.s} ${typeof c.pad === 'string' ? c.pad : 'explicit'}${c.d ? ` d${c.d}` : ''}`
}

afterAll(() => setThreadsCount(2))

describe.each(MODES)('conv kernels on $label', (mode) => {
  test.each(CASES)('Conv2D $x $f', async (c) => {
    await useMode(mode)
    const { err, wasmCalls } = await compareKernel(
      'Conv2D',
      { x: { shape: c.x }, filter: { shape: c.f } },
      { strides: [c.s, c.s], pad: c.pad, dataFormat: 'NHWC', dilations: [c.d ?? 1, c.d ?? 1] },
    )
    expect(err, label(c)).toBeLessThan(1e-4)
    expect(wasmCalls, 'runs in wasm').toBeGreaterThan(0)
  })

  test.each([2, 1])('Conv2D with dilation 2, %i input channel(s)', async (c) => {
    await useMode(mode)
    const { err, wasmCalls } = await compareKernel(
      'Conv2D',
      { x: { shape: [2, 9, 9, c] }, filter: { shape: [3, 3, c, 4] } },
      { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [2, 2] },
    )
    expect(err).toBeLessThan(1e-4)
    expect(wasmCalls, 'runs in wasm').toBeGreaterThan(0)
  })

  test.each(CASES)('Conv2DBackpropInput $x $f', async (c) => {
    await useMode(mode)
    const y = tf.tidy(() => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.f) as tf.Tensor4D, c.s, c.pad))
    const dyShape = y.shape
    y.dispose()
    const { err, shapes, wasmCalls } = await compareKernel(
      'Conv2DBackpropInput',
      { dy: { shape: dyShape }, filter: { shape: c.f } },
      { inputShape: c.x, strides: [c.s, c.s], pad: c.pad, dataFormat: 'NHWC' },
    )
    expect(shapes[0]).toEqual(c.x)
    expect(err, label(c)).toBeLessThan(1e-4)
    expect(wasmCalls, 'runs in wasm').toBeGreaterThan(0)
  })

  test.each(CASES)('Conv2DBackpropFilter $x $f', async (c) => {
    await useMode(mode)
    const y = tf.tidy(() => tf.conv2d(tf.zeros(c.x) as tf.Tensor4D, tf.zeros(c.f) as tf.Tensor4D, c.s, c.pad))
    const dyShape = y.shape
    y.dispose()
    const { err, shapes, wasmCalls } = await compareKernel(
      'Conv2DBackpropFilter',
      { x: { shape: c.x }, dy: { shape: dyShape } },
      { filterShape: c.f, strides: [c.s, c.s], pad: c.pad, dataFormat: 'NHWC' },
    )
    expect(shapes[0]).toEqual(c.f)
    expect(err, label(c)).toBeLessThan(1e-4)
    expect(wasmCalls, 'runs in wasm').toBeGreaterThan(0)
  })

  // tfjs reads dy by its own shape, which may be larger than the conv's output (tfjs-core's conv2dTranspose spec
  // 'input=8x8x8,output=4x4x8,f=8,s=1,inDepth=8,p=same vec4' passes an 8x8 dy for a 4x4 output): the wasm kernels,
  // which read dy as [batch, outHeight, outWidth, outChannels], leave such calls to the cpu kernel.
  test.each([
    { dy: [1, 8, 8, 8], x: [1, 4, 4, 8] },
    { dy: [1, 9, 10, 8], x: [1, 8, 8, 8] },
  ])('Conv2DBackpropInput, dy $dy for x $x: falls back', async ({ dy, x }) => {
    await useMode(mode)
    const mod5 = (n: number) => new Float32Array(n).map((_, i) => i % 5)
    const { err, wasmCalls } = await compareKernel(
      'Conv2DBackpropInput',
      {
        dy: { shape: dy, values: mod5(dy.reduce((a, b) => a * b)) },
        filter: { shape: [8, 8, 8, 8], values: mod5(8 ** 4) },
      },
      { inputShape: x, strides: [1, 1], pad: 'same', dataFormat: 'NHWC' },
    )
    expect(err).toBe(0)
    expect(wasmCalls).toBe(0)
  })

  test('Conv2DBackpropFilter, dy larger than the output: falls back', async () => {
    await useMode(mode)
    const { err, wasmCalls } = await compareKernel(
      'Conv2DBackpropFilter',
      { x: { shape: [2, 7, 7, 3] }, dy: { shape: [2, 6, 6, 4] } },
      { filterShape: [3, 3, 3, 4], strides: [2, 2], pad: 'same', dataFormat: 'NHWC' },
    )
    expect(err).toBeLessThan(1e-4)
    expect(wasmCalls).toBe(0)
  })
})
