import { backend_util, util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core'
import { Call } from './_call'
import { wasmKernel, type Inputs } from './_fallback'

import {
  OP_ADD,
  OP_DIV,
  OP_MAX,
  OP_MIN,
  OP_MUL,
  OP_RELU_GRAD,
  OP_SQDIFF,
  OP_SQUARE_GRAD,
  OP_SUB,
  U_ABS,
  U_LEAKY,
  U_LINEAR,
  U_NEG,
  U_RECIPROCAL,
  U_RELU,
  U_RELU6,
  U_RSQRT,
  U_SQRT,
  U_SQUARE,
  U_STEP,
} from '../../assembly/abi'

// The op codes of assembly/abi.ts by kernel name
export const BINARY_OPS = {
  Add: OP_ADD,
  Sub: OP_SUB,
  Multiply: OP_MUL,
  RealDiv: OP_DIV,
  Maximum: OP_MAX,
  Minimum: OP_MIN,
  SquaredDifference: OP_SQDIFF,
  SimdSquareGrad: OP_SQUARE_GRAD,
  SimdReluGrad: OP_RELU_GRAD,
} as const
export const UNARY_OPS = {
  Relu: U_RELU,
  Neg: U_NEG,
  Square: U_SQUARE,
  Sqrt: U_SQRT,
  Rsqrt: U_RSQRT,
  Abs: U_ABS,
  Step: U_STEP,
  Reciprocal: U_RECIPROCAL,
  Relu6: U_RELU6,
  LeakyRelu: U_LEAKY,
} as const
export const ACT_LINEAR = U_LINEAR

/** [n0..n3, a's strides 0..3, b's strides 0..3]: binary_f32's index space. */
export type BroadcastDims = [
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
  number,
]

/**
 * Collapses a broadcast of a and b to `out` into at most 4 dims [n0..n3] with per-input strides (0 = broadcast);
 * null when it needs more than 4 dims.
 */
export function broadcastDims(aShape: number[], bShape: number[], outShape: number[]): BroadcastDims | null {
  const r = outShape.length
  const pa = [...Array(r - aShape.length).fill(1), ...aShape]
  const pb = [...Array(r - bShape.length).fill(1), ...bShape]
  const dims: { n: number; ab: boolean; bb: boolean }[] = []
  for (let i = 0; i < r; i++) {
    const n = outShape[i]!
    if (n === 1) continue
    const d = { n, ab: pa[i] === 1, bb: pb[i] === 1 }
    const last = dims[dims.length - 1]
    if (last && last.ab === d.ab && last.bb === d.bb) last.n *= n
    else dims.push(d)
  }
  if (dims.length > 4) return null
  while (dims.length < 4) dims.unshift({ n: 1, ab: false, bb: false })
  const as = [0, 0, 0, 0],
    bs = [0, 0, 0, 0]
  let ra = 1,
    rb = 1
  for (let i = 3; i >= 0; i--) {
    const d = dims[i]!
    as[i] = d.ab ? 0 : ra
    bs[i] = d.bb ? 0 : rb
    if (!d.ab) ra *= d.n
    if (!d.bb) rb *= d.n
  }
  return [...dims.map((d) => d.n), ...as, ...bs] as BroadcastDims
}

export function binaryConfig(kernelName: keyof typeof BINARY_OPS): KernelConfig {
  const op = BINARY_OPS[kernelName]
  return wasmKernel(kernelName, ({ inputs, backend }) => {
    // The gradient kernels take (dy, x); the tfjs binary kernels (a, b).
    const { a, b } = ('dy' in inputs ? { a: inputs.dy, b: inputs.x } : inputs) as unknown as Inputs<'a' | 'b'>
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return null
    const outShape = backend_util.assertAndGetBroadcastShape(a.shape, b.shape)
    const size = util.sizeFromShape(outShape)
    if (size === 0) return null
    const dims = broadcastDims(a.shape, b.shape, outShape)
    if (!dims) return null
    const call = new Call(backend)
    try {
      const pa = call.in(a)
      const pb = call.in(b)
      const out = call.out(outShape)
      const rows = dims[0]! * dims[1]! * dims[2]!
      const parts = call.split(rows, call.threadsFor(size * 8))
      backend.rt.run(
        'binary_f32',
        parts.map(([r0, r1]) => [op, pa, pb, out.ptr, ...dims, r0, r1]),
      )
      return call.result(out)
    } finally {
      call.finish()
    }
  })
}

/** Runs unary op `op` on x into a new tensor. */
export function runUnary(call: Call, x: TensorInfo, op: number, param: number): TensorInfo {
  const px = call.in(x)
  const out = call.out(x.shape)
  const n = out.size
  const parts = call.split(n, call.threadsFor(n * 8), 4)
  call.b.rt.run(
    'unary_f32',
    parts.map(([i0, i1]) => [op, px, out.ptr, param, i0, i1]),
  )
  return call.result(out)
}

export function unaryConfig(kernelName: keyof typeof UNARY_OPS, paramAttr?: string): KernelConfig {
  const op = UNARY_OPS[kernelName]
  return wasmKernel(kernelName, ({ inputs, backend, attrs }) => {
    const { x } = inputs as unknown as Inputs<'x'>
    if (x.dtype !== 'float32' || util.sizeFromShape(x.shape) === 0) return null
    const param = paramAttr ? Number(attrs[paramAttr] ?? 0) : 0
    const call = new Call(backend)
    try {
      return runUnary(call, x, op, param)
    } finally {
      call.finish()
    }
  })
}

/** Activation code for FusedConv2D / _FusedMatMul epilogues, or null when the activation runs elsewhere. */
export function activationCode(activation: string | undefined): number | null {
  switch (activation ?? 'linear') {
    case 'linear':
      return ACT_LINEAR
    case 'relu':
      return UNARY_OPS.Relu
    case 'relu6':
      return UNARY_OPS.Relu6
    case 'leakyrelu':
      return UNARY_OPS.LeakyRelu
    default:
      return null
  }
}
