import * as tfc from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import type { ResolvedModelConfig } from './config'
import { getModelConfig } from './model'

/**
 * A tfjs backend that runs a whole `ModelConfig` network as one fused forward pass (@mnist/backend-simd's backend
 * does). Found by duck typing on the active backend, so this package does not depend on any backend.
 */
export interface FusedInferenceBackend {
  /**
   * Logits [n, classes] of `images` (normalised, [n, 28, 28, 1]) through the network `spec` describes, with
   * `weights` in `model.getWeights()` order, in inference mode: what `model.predict(images)` returns. The caller
   * disposes the result. Throws an error whose `code` starts with `SIMD_` for a network or input it does not run.
   */
  fusedPredict(spec: ResolvedModelConfig, weights: readonly tfc.Tensor[], images: tfc.Tensor4D): tfc.Tensor2D
}

export interface ModelLogitsOptions {
  /** Images per forward pass (bounds memory; results do not depend on it). Default 256. */
  batchSize?: number
  /** Use the backend's fused inference when it has one and the model's `ModelConfig` is known. Default true. */
  fused?: boolean
}

/** Models whose network the active backend refused once: they go straight to `model.predict` from then on. */
const refused = new WeakMap<LayersModel, object>()

/**
 * The model's output for normalised images `x` ([n, 28, 28, 1]); the caller disposes the result. On a backend with
 * fused inference (`FusedInferenceBackend`; @mnist/backend-simd's) and for a model built by `createModel` or loaded
 * with its metadata, one fused forward pass per batch (batch norm folded into the weights before it); else, or when
 * that backend does not run the network, `model.predict`. The two agree to float rounding (about 1e-5).
 */
export function modelLogits(model: LayersModel, x: tfc.Tensor4D, options: ModelLogitsOptions = {}): tfc.Tensor {
  const batchSize = options.batchSize ?? 256
  const fused = options.fused === false ? undefined : fusedBackendFor(model)
  if (fused !== undefined) {
    const out = tryFused(model, fused, x, batchSize)
    if (out !== undefined) return out
  }
  return model.predict(x, { batchSize }) as tfc.Tensor
}

/** Whether `modelLogits` would try the fused pass for this model on the active backend now. */
export function usesFusedInference(model: LayersModel): boolean {
  return fusedBackendFor(model) !== undefined
}

function fusedBackendFor(model: LayersModel): FusedInferenceBackend | undefined {
  if (getModelConfig(model) === undefined) return undefined
  let backend: unknown
  try {
    backend = tfc.backend()
  } catch {
    return undefined
  }
  if (refused.get(model) === backend) return undefined
  return typeof (backend as Partial<FusedInferenceBackend> | null)?.fusedPredict === 'function'
    ? (backend as FusedInferenceBackend)
    : undefined
}

/** The fused logits, batch by batch; undefined when the backend refuses the network (remembered for the model). */
function tryFused(
  model: LayersModel,
  backend: FusedInferenceBackend,
  x: tfc.Tensor4D,
  batchSize: number,
): tfc.Tensor | undefined {
  const spec = getModelConfig(model)!
  // getWeights() returns the variables themselves (not copies): nothing to dispose, and the backend may cache its
  // folded weights by their identity.
  const weights = model.getWeights()
  const n = x.shape[0]
  const parts: tfc.Tensor[] = []
  let result: tfc.Tensor | undefined
  try {
    if (n <= batchSize) {
      result = backend.fusedPredict(spec, weights, x)
      return result
    }
    for (let start = 0; start < n; start += batchSize) {
      const size = Math.min(batchSize, n - start)
      const batch = tfc.slice(x, [start, 0, 0, 0], [size, -1, -1, -1])
      try {
        parts.push(backend.fusedPredict(spec, weights, batch))
      } finally {
        batch.dispose()
      }
    }
    result = tfc.concat(parts)
    return result
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code
    if (typeof code === 'string' && code.startsWith('SIMD_')) {
      refused.set(model, backend)
      return undefined
    }
    throw error
  } finally {
    tfc.dispose(parts)
  }
}
