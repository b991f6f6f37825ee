// Every non-conv wasm kernel against the stock cpu kernel, in every build/thread mode (see conformance of
// the conv kernels in Conv2D.test.ts). Each case also checks the path it took: wasm calls for the cases the wasm
// kernel handles, none for the cases that must fall back to the cpu kernel (`fallback` says why).
import { afterAll, describe, expect, test } from 'vitest'
import '../index'
import { compareKernel, MODES, randn, useMode, type InputSpec } from '../_testing'
import { setThreadsCount } from '../flags'

interface Case {
  kernel: string
  inputs: Record<string, InputSpec>
  attrs?: Record<string, unknown>
  label?: string
  /** Why this case must run on the cpu kernel (no wasm call); absent: it must run in wasm. */
  fallback?: string
}

const relu = (shape: number[], seed: number): InputSpec => {
  // Half zeros, like activations after ReLU: ties in max pooling and Step(0).
  const v = randn(
    shape.reduce((a, b) => a * b, 1),
    seed,
  ).map((e) => Math.max(0, e))
  return { shape, values: v }
}
const positive = (shape: number[], seed: number): InputSpec => ({
  shape,
  values: randn(
    shape.reduce((a, b) => a * b, 1),
    seed,
  ).map((e) => Math.abs(e) + 0.1),
})

const BIG = [4, 29, 31, 12] // > 40k elements, odd spatial sizes: exercises the threaded splits
const CASES: Case[] = []
for (const kernel of ['Add', 'Sub', 'Multiply', 'RealDiv', 'Maximum', 'Minimum', 'SquaredDifference']) {
  const b = kernel === 'RealDiv' ? positive : (shape: number[]): InputSpec => ({ shape })
  CASES.push(
    { kernel, label: 'same shape', inputs: { a: { shape: BIG }, b: b(BIG, 3) } },
    { kernel, label: 'per channel', inputs: { a: { shape: BIG }, b: b([12], 3) } },
    { kernel, label: 'channel first operand', inputs: { a: { shape: [1, 1, 1, 7] }, b: b([3, 5, 6, 7], 4) } },
    { kernel, label: 'scalar', inputs: { a: { shape: [5, 7, 3] }, b: b([], 5) } },
    { kernel, label: 'scalar first', inputs: { a: { shape: [] }, b: b([5, 7, 3], 5) } },
    { kernel, label: 'per batch', inputs: { a: { shape: [6, 5, 5, 3] }, b: b([6, 1, 1, 1], 6) } },
    { kernel, label: 'both broadcast', inputs: { a: { shape: [4, 1, 3] }, b: b([1, 5, 1], 7) } },
    {
      kernel,
      label: 'rank 6',
      inputs: { a: { shape: [2, 1, 2, 1, 2, 3] }, b: b([1, 2, 1, 2, 1, 3], 8) },
      fallback: 'the broadcast needs 6 dims, the wasm kernel handles 4',
    },
    { kernel, label: 'rank 6, collapsible', inputs: { a: { shape: [2, 1, 2, 3, 2, 3] }, b: b([1, 1, 1, 3, 2, 3], 8) } },
  )
}
for (const kernel of ['Relu', 'Neg', 'Square', 'Abs', 'Relu6']) {
  CASES.push({ kernel, inputs: { x: { shape: BIG } } }, { kernel, label: 'odd', inputs: { x: { shape: [3, 7] } } })
}
for (const kernel of ['Sqrt', 'Rsqrt', 'Reciprocal']) CASES.push({ kernel, inputs: { x: positive([5, 7, 9, 3], 2) } })
CASES.push(
  { kernel: 'Step', inputs: { x: relu(BIG, 9) }, attrs: { alpha: 0 } },
  { kernel: 'Step', label: 'alpha', inputs: { x: relu([3, 7], 9) }, attrs: { alpha: 0.3 } },
  { kernel: 'LeakyRelu', inputs: { x: { shape: [5, 9, 3] } }, attrs: { alpha: 0.2 } },
)
for (const kernel of ['Sum', 'Mean', 'Max', 'Min']) {
  const axisName = kernel === 'Max' ? 'reductionIndices' : 'axis'
  for (const [axis, keepDims] of [
    [[0, 1, 2], true],
    [[0, 1, 2], false],
    [[1, 2], false],
    [-1, false],
    [-1, true],
    [0, false],
    [[0, 2], false],
    [null, false],
  ] as [number | number[] | null, boolean][]) {
    CASES.push({
      kernel,
      label: `axis ${JSON.stringify(axis)} keep ${keepDims}`,
      inputs: { x: { shape: [6, 9, 7, 5] } },
      attrs: { [axisName]: axis ?? [0, 1, 2, 3], keepDims },
      ...(JSON.stringify(axis) === '[0,2]' ? { fallback: 'the reduced axes are not adjacent' } : {}),
    })
  }
}
CASES.push({ kernel: 'Prod', inputs: { x: positive([3, 4, 5], 3) }, attrs: { axis: [1], keepDims: false } })
for (const [filterSize, strides, pad] of [
  [2, 2, 'valid'],
  [3, 2, 'same'],
  [3, 1, 'same'],
  [2, 2, 'same'],
  [3, 2, 'valid'],
] as const) {
  const x = relu([3, 11, 9, 6], 11)
  CASES.push({
    kernel: 'MaxPool',
    label: `${filterSize}/${strides}/${pad}`,
    inputs: { x },
    attrs: { filterSize, strides, pad },
  })
  CASES.push({
    kernel: 'MaxPool',
    label: `${filterSize}/${strides}/${pad} c8`,
    inputs: { x: relu([2, 8, 8, 8], 12) },
    attrs: { filterSize, strides, pad },
  })
  const outH = pad === 'same' ? Math.ceil(11 / strides) : Math.ceil((11 - filterSize + 1) / strides)
  const outW = pad === 'same' ? Math.ceil(9 / strides) : Math.ceil((9 - filterSize + 1) / strides)
  CASES.push({
    kernel: 'MaxPoolGrad',
    label: `${filterSize}/${strides}/${pad}`,
    inputs: { dy: { shape: [3, outH, outW, 6] }, input: x, output: { shape: [3, outH, outW, 6] } },
    attrs: { filterSize, strides, pad },
  })
  const oh8 = pad === 'same' ? Math.ceil(8 / strides) : Math.ceil((8 - filterSize + 1) / strides)
  CASES.push({
    kernel: 'MaxPoolGrad',
    label: `${filterSize}/${strides}/${pad} c8`,
    inputs: { dy: { shape: [2, oh8, oh8, 8] }, input: relu([2, 8, 8, 8], 12), output: { shape: [2, oh8, oh8, 8] } },
    attrs: { filterSize, strides, pad },
  })
}
CASES.push(
  { kernel: 'Tile', inputs: { x: { shape: [1, 1, 1, 12] } }, attrs: { reps: [4, 29, 31, 1] } },
  { kernel: 'Tile', label: 'inner reps', inputs: { x: { shape: [2, 3, 5] } }, attrs: { reps: [2, 1, 3] } },
  { kernel: 'Tile', label: 'rank 1', inputs: { x: { shape: [7] } }, attrs: { reps: [3] } },
  {
    kernel: 'FusedBatchNorm',
    inputs: {
      x: { shape: BIG },
      mean: { shape: [12] },
      variance: positive([12], 4),
      offset: { shape: [12] },
      scale: { shape: [12] },
    },
    attrs: { varianceEpsilon: 1e-3 },
  },
  {
    kernel: 'FusedBatchNorm',
    label: 'no scale/offset, odd C',
    inputs: { x: { shape: [3, 5, 5, 7] }, mean: { shape: [7] }, variance: positive([7], 4) },
    attrs: { varianceEpsilon: 1e-3 },
  },
  {
    kernel: 'FusedBatchNorm',
    label: 'scalar mean',
    inputs: { x: { shape: [3, 5] }, mean: { shape: [1] }, variance: positive([5], 4), scale: { shape: [5] } },
    attrs: { varianceEpsilon: 1e-5 },
  },
)
for (const [ta, tb] of [
  [false, false],
  [true, false],
  [false, true],
  [true, true],
]) {
  CASES.push(
    {
      kernel: 'BatchMatMul',
      label: `ta ${ta} tb ${tb}`,
      inputs: { a: { shape: ta ? [3, 33, 21] : [3, 21, 33] }, b: { shape: tb ? [3, 10, 33] : [3, 33, 10] } },
      attrs: { transposeA: ta, transposeB: tb },
    },
    {
      kernel: 'BatchMatMul',
      label: `broadcast b, ta ${ta} tb ${tb}`,
      inputs: { a: { shape: ta ? [2, 17, 5] : [2, 5, 17] }, b: { shape: tb ? [1, 9, 17] : [1, 17, 9] } },
      attrs: { transposeA: ta, transposeB: tb },
    },
  )
}
CASES.push(
  {
    kernel: '_FusedMatMul',
    label: 'dense + bias',
    inputs: { a: { shape: [64, 32] }, b: { shape: [32, 10] }, bias: { shape: [10] } },
    attrs: { transposeA: false, transposeB: false, activation: 'linear' },
  },
  {
    kernel: '_FusedMatMul',
    label: 'relu',
    inputs: { a: { shape: [7, 13] }, b: { shape: [5, 13] }, bias: { shape: [5] } },
    attrs: { transposeA: false, transposeB: true, activation: 'relu' },
  },
)
for (const [activation, bias] of [
  ['linear', false],
  ['linear', true],
  ['relu', true],
  ['relu6', false],
  ['leakyrelu', true],
  ['elu', true],
] as const) {
  CASES.push({
    kernel: 'FusedConv2D',
    label: `${activation}${bias ? ' + bias' : ''}`,
    inputs: { x: { shape: [3, 9, 8, 5] }, filter: { shape: [3, 3, 5, 8] }, ...(bias ? { bias: { shape: [8] } } : {}) },
    attrs: { strides: [1, 1], pad: 'same', dataFormat: 'NHWC', dilations: [1, 1], activation, leakyreluAlpha: 0.1 },
    ...(activation === 'elu' ? { fallback: 'no wasm epilogue for elu' } : {}),
  })
}
CASES.push(
  {
    kernel: 'MaxPool',
    label: '1x1 identity',
    inputs: { x: { shape: [2, 5, 5, 3] } },
    attrs: { filterSize: 1, strides: 1, pad: 'valid' },
    fallback: 'tfjs returns the input for a 1x1 window',
  },
  // tfjs reads dy by its own strides; the wasm kernel assumed the pool's output shape (and read the wrong elements)
  {
    kernel: 'MaxPoolGrad',
    label: 'dy larger than the output',
    fallback: 'the wasm kernel reads dy as the pool output shape',
    inputs: { dy: { shape: [2, 5, 6, 8] }, input: relu([2, 8, 8, 8], 12), output: { shape: [2, 4, 4, 8] } },
    attrs: { filterSize: 2, strides: 2, pad: 'valid' },
  },
  {
    kernel: 'Relu',
    label: 'int32',
    inputs: { x: { shape: [3, 7], dtype: 'int32', values: new Int32Array(21).map((_, i) => i - 10) } },
    fallback: 'wasm kernels are float32 only',
  },
)

afterAll(() => setThreadsCount(2))

describe.each(MODES)('kernels on $label', (mode) => {
  test.each(CASES.map((c) => ({ ...c, name: `${c.kernel}${c.label ? ` (${c.label})` : ''}` })))('$name', async (c) => {
    await useMode(mode)
    const { err, wasmCalls } = await compareKernel(c.kernel, c.inputs, c.attrs ?? {})
    expect(err).toBeLessThan(1e-4)
    if (c.fallback) expect(wasmCalls, `falls back: ${c.fallback}`).toBe(0)
    else expect(wasmCalls, 'runs in wasm').toBeGreaterThan(0)
  })
})
