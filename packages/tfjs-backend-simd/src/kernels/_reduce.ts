import { util, type KernelConfig } from '@tensorflow/tfjs-core'
import { R_MAX, R_MIN, R_PROD, R_SUM } from '../../assembly/abi'
import { Call } from './_call'
import { wasmKernel, type Inputs } from './_fallback'

const REDUCE_OPS = { Sum: R_SUM, Max: R_MAX, Min: R_MIN, Prod: R_PROD, Mean: R_SUM } as const

/**
 * Sum / Mean / Max / Min / Prod over one contiguous run of axes (after dropping size-1 axes), the shapes of batch
 * statistics ([0,1,2] of NHWC), global average pooling ([1,2]) and softmax (last axis). Others go to the CPU kernel.
 */
export function reduceConfig(kernelName: keyof typeof REDUCE_OPS): KernelConfig {
  const op = REDUCE_OPS[kernelName]
  return wasmKernel(kernelName, ({ inputs, backend, attrs }) => {
    const { x } = inputs as unknown as Inputs<'x'>
    if (x.dtype !== 'float32') return null
    // Max names its axes reductionIndices, the others axis.
    const axes = util.parseAxisParam((attrs.axis ?? attrs.reductionIndices) as number | number[], x.shape)
    const keepDims = attrs.keepDims === true
    const shape = x.shape
    if (util.sizeFromShape(shape) === 0) return null
    const reduced = new Set(axes)
    // Axes of size 1 may sit anywhere; only the non-trivial reduced axes must be contiguous.
    const live = shape.map((n, i) => (n === 1 ? 0 : reduced.has(i) ? 2 : 1))
    const first = live.indexOf(2)
    const last = live.lastIndexOf(2)
    if (first >= 0 && live.slice(first, last + 1).some((v) => v === 1)) return null
    let A = 1,
      R = 1,
      B = 1
    shape.forEach((n, i) => {
      if (reduced.has(i)) R *= n
      else if (first < 0 || i < first) A *= n
      else B *= n
    })
    const outShape = keepDims ? shape.map((n, i) => (reduced.has(i) ? 1 : n)) : shape.filter((_, i) => !reduced.has(i))
    const call = new Call(backend)
    try {
      const px = call.in(x)
      const out = call.out(outShape)
      const scale = kernelName === 'Mean' ? 1 / R : 1
      const parts = call.split(A, call.threadsFor(A * R * B * 4))
      backend.rt.run(
        'reduce_f32',
        parts.map(([a0, a1]) => [op, px, out.ptr, A, R, B, scale, a0, a1]),
      )
      return call.result(out)
    } finally {
      call.finish()
    }
  })
}
