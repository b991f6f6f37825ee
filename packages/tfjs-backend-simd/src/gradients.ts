// Shorter backward passes on simd: the gradients of FusedBatchNorm, Relu, Square and Mean are routed to fused
// kernels while 'simd' is the active backend (and the inputs are float32 of a supported layout); otherwise the
// gradient registered before (tfjs's own) runs unchanged. Installed when the backend starts, so it wraps tfjs's
// gradients whatever the import order was. The fused kernels have no gradients of their own: while a higher-order
// tape records the backward pass (grad(grad(f))), tfjs's gradient runs instead, built from differentiable ops.
import {
  backend_util,
  engine,
  FusedBatchNorm,
  getBackend,
  getGradient,
  Mean,
  registerGradient,
  Relu,
  reshape,
  Square,
  util,
  type GradConfig,
  type NamedAttrMap,
  type NamedTensorMap,
  type Tensor,
} from '@tensorflow/tfjs-core'
import { BACKEND_NAME } from './backend'
import { SimdBackendError } from './errors'
import { shared } from './process-state'
import { SIMD_BATCH_NORM_GRAD } from './kernels/FusedBatchNormGrad'

type GradResult = Record<string, () => Tensor>
type Fused = (dy: Tensor, saved: Tensor[], attrs: NamedAttrMap) => GradResult | null

const installed = shared.gradients

function install(kernelName: string, inputsToSave: string[], fused: Fused): void {
  const current = getGradient(kernelName)
  if (current && current === installed.get(kernelName)) return
  const original = current
  const config: GradConfig = {
    kernelName,
    inputsToSave,
    gradFunc: (dy: Tensor | Tensor[], saved: Tensor[], attrs: NamedAttrMap) => {
      const g = Array.isArray(dy) ? dy[0]! : dy
      const fusable = getBackend() === BACKEND_NAME && g.dtype === 'float32' && !engine().isTapeOn()
      const r = fusable ? fused(g, saved, attrs) : null
      if (r) return r
      if (!original) {
        throw new SimdBackendError(
          'SIMD_GRADIENT_MISSING',
          `no gradient registered for ${kernelName}: import @tensorflow/tfjs (or tfjs-core's register_all_gradients)`,
        )
      }
      return original.gradFunc(dy, saved, attrs)
    },
  }
  installed.set(kernelName, config)
  registerGradient(config)
}

const f32 = (t: Tensor | undefined) => t != null && t.dtype === 'float32'

export function installGradients(): void {
  install(FusedBatchNorm, ['x', 'mean', 'variance', 'scale'], (dy, saved, attrs) => {
    const [x, mean, variance, scale] = saved as [Tensor, Tensor, Tensor, Tensor | undefined]
    const C = x.shape[x.shape.length - 1]
    const perChannel = (t: Tensor | undefined) => t == null || (f32(t) && t.rank === 1 && t.shape[0] === C)
    if (
      !f32(x) ||
      x.rank < 2 ||
      !perChannel(mean) ||
      !perChannel(variance) ||
      !perChannel(scale) ||
      !util.arraysEqual(dy.shape, x.shape)
    )
      return null
    const inputs: NamedTensorMap = { dy, x, mean, variance }
    if (scale) inputs.scale = scale
    // Computed now (not in the thunks): one kernel makes all five; unused ones die with the backward pass' scope.
    const [dx, dMean, dVar, dScale, dOffset] = engine().runKernel(SIMD_BATCH_NORM_GRAD, inputs, attrs) as Tensor[]
    return { x: () => dx!, mean: () => dMean!, variance: () => dVar!, scale: () => dScale!, offset: () => dOffset! }
  })
  install(Relu, ['x'], (dy, [x]) =>
    f32(x) && util.arraysEqual(dy.shape, x!.shape)
      ? { x: () => engine().runKernel('SimdReluGrad', { dy, x: x! }) as Tensor }
      : null,
  )
  install(Square, ['x'], (dy, [x]) =>
    f32(x) && util.arraysEqual(dy.shape, x!.shape)
      ? { x: () => engine().runKernel('SimdSquareGrad', { dy, x: x! }) as Tensor }
      : null,
  )
  install(Mean, ['x'], (dy, [x], attrs) => {
    if (!f32(x)) return null
    const axes = util.parseAxisParam(attrs.axis as number | number[], x!.shape)
    const [, reduceShape] = backend_util.computeOutAndReduceShapes(x!.shape, axes)
    const expanded = x!.shape.slice()
    for (const a of axes) expanded[a] = 1
    const scale = 1 / util.sizeFromShape(reduceShape)
    return {
      x: () => engine().runKernel('SimdMeanGrad', { dy: reshape(dy, expanded) }, { shape: x!.shape, scale }) as Tensor,
    }
  })
}
