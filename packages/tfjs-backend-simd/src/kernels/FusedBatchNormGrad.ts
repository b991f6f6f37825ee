import { util, type KernelConfig, type TensorInfo } from '@tensorflow/tfjs-core'
import { Call } from './_call'
import { broadcastDims } from './_elementwise'
import { wasmKernel, type Inputs } from './_fallback'

/** Kernel name of the fused batch-norm backward pass (simd only; reached through the FusedBatchNorm gradient). */
export const SIMD_BATCH_NORM_GRAD = 'SimdFusedBatchNormGrad'

/**
 * All five gradients of y = (x - mean)·scale/sqrt(variance + eps) + offset in two passes over x and dy (tfjs's
 * gradient takes about ten elementwise passes): per-channel Σdy and Σdy·(x - mean), then dx = dy·scale/sqrt(var + eps).
 * Outputs: [dx, dMean, dVariance, dScale, dOffset].
 */
export const simdFusedBatchNormGradConfig: KernelConfig = wasmKernel(
  SIMD_BATCH_NORM_GRAD,
  ({ inputs, backend, attrs }) => {
    const { dy, x, mean, variance } = inputs as unknown as Inputs<'dy' | 'x' | 'mean' | 'variance'>
    const { scale } = inputs as { scale?: TensorInfo }
    const eps = Number(attrs.varianceEpsilon ?? 0.001)
    const C = x.shape[x.shape.length - 1]!
    const call = new Call(backend)
    try {
      const px = call.in(x)
      const pdy = call.in(dy)
      const pmean = call.in(mean)
      const pvar = call.in(variance)
      const pscale = scale ? call.in(scale) : 0
      const coef = call.scratch(3 * C)
      backend.rt.run('batch_norm_coef_f32', [[pmean, pvar, pscale, 0, C, eps, coef, C, C, C, 1]])
      const rows = util.sizeFromShape(x.shape) / C
      const parts = call.split(rows, call.threadsFor(rows * C * 4))
      const sums = parts.map(() => call.scratch(4 * C)) // 2C f64 each
      backend.rt.run(
        'batch_norm_grad_sums_f32',
        parts.map(([r0, r1], t) => [px, pdy, coef, C, r0, r1, sums[t]!]),
      )
      const s1 = new Float64Array(C),
        s2 = new Float64Array(C)
      for (const p of sums) {
        const f64 = new Float64Array(backend.rt.memory.buffer, p, 2 * C)
        for (let c = 0; c < C; c++) {
          s1[c]! += f64[c]!
          s2[c]! += f64[C + c]!
        }
      }
      const varV = backend.valuesOf(variance.dataId) as Float32Array
      const dMean = new Float32Array(C),
        dVar = new Float32Array(C),
        dScale = new Float32Array(C),
        dOffset = new Float32Array(C)
      const scaleV = scale ? (backend.readSync(scale.dataId) as Float32Array) : undefined
      for (let c = 0; c < C; c++) {
        const inv = 1 / Math.sqrt(varV[c]! + eps)
        const sc = scaleV ? scaleV[c]! : 1
        dMean[c] = -inv * sc * s1[c]!
        dVar[c] = -0.5 * inv * inv * inv * sc * s2[c]!
        dScale[c] = inv * s2[c]!
        dOffset[c] = s1[c]!
      }
      // dx = dy * a (per channel), threaded like any broadcast multiply
      const dx = call.out(x.shape)
      const dims = broadcastDims(dy.shape, [C], x.shape)!
      const outer = dims[0]! * dims[1]! * dims[2]!
      const mparts = call.split(outer, call.threadsFor(rows * C * 8))
      backend.rt.run(
        'binary_f32',
        mparts.map(([r0, r1]) => [2, pdy, coef, dx.ptr, ...dims, r0, r1]),
      )
      const small = (v: Float32Array) => backend.makeTensorInfo(mean.shape, 'float32', v)
      return [call.result(dx), small(dMean), small(dVar), small(dScale), small(dOffset)]
    } finally {
      call.finish()
    }
  },
)
