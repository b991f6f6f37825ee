import {
  FusedBatchNorm,
  util,
  type FusedBatchNormAttrs,
  type KernelConfig,
  type TensorInfo,
} from '@tensorflow/tfjs-core'
import { Call } from './_call'
import { wasmKernel, type Inputs } from './_fallback'

export const fusedBatchNormConfig: KernelConfig = wasmKernel(FusedBatchNorm, ({ inputs, backend, attrs }) => {
  const { x, mean, variance } = inputs as unknown as Inputs<'x' | 'mean' | 'variance'>
  const { offset, scale } = inputs as { offset?: TensorInfo; scale?: TensorInfo }
  const eps = (attrs as unknown as FusedBatchNormAttrs).varianceEpsilon ?? 0.001
  const params = [mean, variance, scale, offset]
  if (x.dtype !== 'float32' || params.some((p) => p && p.dtype !== 'float32') || x.shape.length === 0) return null
  const C = x.shape[x.shape.length - 1]!
  const sizes = params.map((p) => (p ? util.sizeFromShape(p.shape) : 1))
  // Per-channel (or scalar) parameters only; anything else is the CPU kernel's general broadcast.
  if (sizes.some((n) => n !== C && n !== 1) || C === 0) return null
  const call = new Call(backend)
  try {
    const ptrs = params.map((p) => (p ? call.in(p) : 0))
    const px = call.in(x)
    const out = call.out(x.shape)
    const coef = call.scratch(3 * C)
    backend.rt.run('batch_norm_coef_f32', [
      [ptrs[0]!, ptrs[1]!, ptrs[2]!, ptrs[3]!, C, eps, coef, sizes[0]!, sizes[1]!, sizes[2]!, sizes[3]!],
    ])
    const rows = out.size / C
    const parts = call.split(rows, call.threadsFor(out.size * 8))
    backend.rt.run(
      'batch_norm_f32',
      parts.map(([r0, r1]) => [px, out.ptr, coef, C, r0, r1]),
    )
    return call.result(out)
  } finally {
    call.finish()
  }
})
