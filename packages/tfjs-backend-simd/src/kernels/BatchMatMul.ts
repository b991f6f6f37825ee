import {
  backend_util,
  BatchMatMul,
  util,
  type BatchMatMulAttrs,
  type KernelConfig,
  type TensorInfo,
  _FusedMatMul,
  type _FusedMatMulAttrs,
} from '@tensorflow/tfjs-core'
import type { SimdBackend } from '../backend'
import { Call } from './_call'
import { activationCode } from './_elementwise'
import { wasmKernel, type Inputs } from './_fallback'

/** C = A·B per batch (batch dims broadcast when one side has 1), then optional bias + activation. */
function matMul(
  backend: SimdBackend,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  bias: TensorInfo | undefined,
  act: number,
): TensorInfo | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2) return null
  const ra = a.shape.length,
    rb = b.shape.length
  const M = transposeA ? a.shape[ra - 1]! : a.shape[ra - 2]!
  const K = transposeA ? a.shape[ra - 2]! : a.shape[ra - 1]!
  const K2 = transposeB ? b.shape[rb - 1]! : b.shape[rb - 2]!
  const N = transposeB ? b.shape[rb - 2]! : b.shape[rb - 1]!
  if (K !== K2) return null
  const batchA = util.sizeFromShape(a.shape.slice(0, -2))
  const batchB = util.sizeFromShape(b.shape.slice(0, -2))
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null
  if (bias && util.sizeFromShape(bias.shape) !== N) return null
  const batch = Math.max(batchA, batchB)
  const outer = backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2))
  const outShape = [...outer, M, N]
  if (util.sizeFromShape(outShape) === 0 || K === 0) return null
  const call = new Call(backend)
  try {
    const pa = call.in(a)
    let pb = call.in(b)
    if (transposeB) {
      // gemm reads B row-major [K, N]: transpose each batch of B once.
      const t = call.scratch(batchB * K * N)
      for (let i = 0; i < batchB; i++) backend.rt.run('transpose_f32', [[pb + i * K * N * 4, t + i * K * N * 4, N, K]])
      pb = t
    }
    const out = call.out(outShape)
    const ars = transposeA ? 1 : K
    const aks = transposeA ? M : 1
    for (let i = 0; i < batch; i++) {
      const ai = pa + (batchA === 1 ? 0 : i * M * K * 4)
      const bi = pb + (batchB === 1 ? 0 : i * K * N * 4)
      const ci = out.ptr + i * M * N * 4
      const flops = 2 * M * N * K
      const parts = call.split(M, call.threadsFor(flops), 4)
      backend.rt.run(
        'gemm_f32',
        parts.map(([m0, m1]) => [ai + m0 * ars * 4, ars, aks, bi, N, ci + m0 * N * 4, N, m1 - m0, N, K, 0]),
      )
    }
    if (bias || act !== activationCode('linear')) {
      const pbias = bias ? call.in(bias) : 0
      backend.rt.run('bias_act_f32', [[out.ptr, pbias, bias ? 1 : 0, N, act, 0.2, 0, batch * M]])
    }
    return call.result(out)
  } finally {
    call.finish()
  }
}

export const batchMatMulConfig: KernelConfig = wasmKernel(BatchMatMul, ({ inputs, backend, attrs }) => {
  const { a, b } = inputs as unknown as Inputs<'a' | 'b'>
  const { transposeA, transposeB } = attrs as unknown as BatchMatMulAttrs
  return matMul(backend, a, b, transposeA, transposeB, undefined, activationCode('linear')!)
})

export const fusedMatMulConfig: KernelConfig = wasmKernel(_FusedMatMul, ({ inputs, backend, attrs }) => {
  const { a, b } = inputs as unknown as Inputs<'a' | 'b'>
  const { bias, preluActivationWeights } = inputs as { bias?: TensorInfo; preluActivationWeights?: TensorInfo }
  const at = attrs as unknown as _FusedMatMulAttrs
  const act = activationCode(at.activation)
  // leakyrelu needs its alpha: leave that (and prelu) to the CPU kernel.
  if (act === null || preluActivationWeights || at.activation === 'leakyrelu') return null
  return matMul(backend, a, b, at.transposeA, at.transposeB, bias, act)
})
