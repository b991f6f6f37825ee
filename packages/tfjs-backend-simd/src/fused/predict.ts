import { tensor2d, type DataId, type Tensor, type Tensor2D, type Tensor4D } from '@tensorflow/tfjs-core'
import type { SimdBackend } from '../backend'
import { FusedInputError } from '../errors'
import { planNetwork, type FusedLayer, type FusedNetwork, type FusedWeightSpec, type NetworkPlan } from './network'
import { fusedNetworkFromSpec, type FusedModelSpec } from './spec'
import { FusedTrainer } from './trainer'

// Fused inference (SimdBackend.fusedPredict): the spec's network with every batch norm folded into the conv/dense
// weights before it and dropout removed, run by an inference-only FusedTrainer (one wasm call per layer pass).

/**
 * @internal Images per forward pass. Measured on model C and the default network (bench/stages.ts, 2026-12 on the 2-core
 * machine): one thread's time per image is within 3 % from 64 to 1000 images (128-256 best: the largest activation,
 * 28x28x16 floats per image, is 12.8 MB at 256), while with two threads every pass pays one thread hand-off per
 * stage, which a loaded machine makes costly: 64 images gave 3,000 images/s on the default network, 256 gave 6,600
 * and 1000 gave 10,300 (load average 19). 256 takes half of that gain with a quarter of the buffers (2 x 12.8 MB).
 */
export const PREDICT_CHUNK = 256
/** Folded models kept (an evaluation and a prediction of two models do not refold each other's). */
const CACHED = 2

interface Folded {
  spec: string
  /** The weight tensors folded and their dataIds then: a disposed or reassigned weight makes the entry stale. */
  tensors: readonly Tensor[]
  dataIds: DataId[]
  trainer: FusedTrainer
}

/** One per backend: the folded models of the last calls, most recent first. */
export class FusedPredictor {
  private entries: Folded[] = []

  constructor(private readonly backend: SimdBackend) {}

  predict(spec: FusedModelSpec, weights: readonly Tensor[], images: Tensor4D): Tensor2D {
    this.prune()
    const key = JSON.stringify(spec)
    let entry = this.entries.find(
      (e) => e.spec === key && e.tensors.length === weights.length && e.tensors.every((t, i) => t === weights[i]),
    )
    if (entry) {
      this.entries = [entry, ...this.entries.filter((e) => e !== entry)]
    } else {
      entry = this.fold(spec, key, weights)
      this.entries.unshift(entry)
      for (const old of this.entries.splice(CACHED)) old.trainer.dispose()
    }
    const { plan } = entry.trainer
    const [h, w, c] = spec.inputShape
    const [n, ih, iw, ic] = images.shape
    if (images.rank !== 4 || ih !== h || iw !== w || ic !== c) {
      throw new FusedInputError('images', `a [n, ${h}, ${w}, ${c}] tensor`, `[${images.shape.join(', ')}]`)
    }
    const values = images.dataSync()
    const x = values instanceof Float32Array ? values : Float32Array.from(values as ArrayLike<number>)
    return tensor2d(entry.trainer.predictLogits(x, n), [n, plan.classes])
  }

  dispose(): void {
    for (const e of this.entries) e.trainer.dispose()
    this.entries = []
  }

  /** How many folded models are kept (their activation buffers live in wasm memory until released). */
  get size(): number {
    return this.entries.length
  }

  /**
   * Frees at once the folded models that used a weight whose data was just disposed: an app that replaces its model
   * gets the wasm memory back without another fusedPredict call (the backend calls this from disposeData).
   */
  release(dataId: DataId): void {
    if (!this.entries.some((e) => e.dataIds.includes(dataId))) return
    this.entries = this.entries.filter((e) => {
      const stale = e.dataIds.includes(dataId)
      if (stale) e.trainer.dispose()
      return !stale
    })
  }

  /** Drops the entries whose weights were disposed or reassigned (a tf.Variable's assign changes its dataId). */
  private prune(): void {
    this.entries = this.entries.filter((e) => {
      const live = e.tensors.every((t, i) => !t.isDisposed && t.dataId === e.dataIds[i])
      if (!live) e.trainer.dispose()
      return live
    })
  }

  private fold(spec: FusedModelSpec, key: string, weights: readonly Tensor[]): Folded {
    const network = fusedNetworkFromSpec(spec)
    const plan = planNetwork(network)
    const order = layersWeightOrder(plan)
    if (weights.length !== order.length) {
      throw new FusedInputError('weights', `${order.length} tensors (model.getWeights() order)`, `${weights.length}`)
    }
    const values = weights.map((t, i) => {
      const s = order[i]!
      if (t.size !== s.size) {
        throw new FusedInputError(
          `weights[${i}]`,
          `${s.size} values (${s.name} [${s.shape.join(', ')}] of layers[${s.layer}])`,
          `${t.size} ([${t.shape.join(', ')}])`,
        )
      }
      return t.dataSync() as Float32Array
    })
    const byName = new Map(order.map((s, i) => [s, values[i]!]))
    const folded = foldedNetwork(network)
    const trainer = new FusedTrainer(
      folded,
      { batchSize: PREDICT_CHUNK, backend: this.backend, adaptiveThreads: false },
      { inferenceOnly: true },
    )
    try {
      trainer.setWeights(foldedWeights(plan, byName))
    } catch (e) {
      trainer.dispose()
      throw e
    }
    return { spec: key, tensors: [...weights], dataIds: weights.map((t) => t.dataId), trainer }
  }
}

/**
 * The weights in tfjs-layers' `model.getWeights()` order: the trainable ones of every layer in layer order (kernel,
 * bias; batch norm gamma, beta), then the non-trainable ones (each batch norm's moving mean and variance).
 */
function layersWeightOrder(plan: NetworkPlan): FusedWeightSpec[] {
  return [...plan.params, ...plan.states]
}

/** @internal The network without batch norm (folded: the layer before gets a bias) and without dropout (identity). */
export function foldedNetwork(network: FusedNetwork): FusedNetwork {
  const layers: FusedLayer[] = []
  network.layers.forEach((l, i) => {
    if (l.type === 'batchNorm' || l.type === 'dropout') return
    const bn = network.layers[i + 1]?.type === 'batchNorm'
    layers.push((l.type === 'conv2d' || l.type === 'dense') && bn ? { ...l, useBias: true } : l)
  })
  return { inputShape: network.inputShape, layers }
}

/**
 * Kernel and bias of every linear stage of the folded plan: with a batch norm (moving statistics),
 * scale = gamma / sqrt(variance + epsilon), kernel·scale per output channel and (bias - mean)·scale + beta.
 */
function foldedWeights(plan: NetworkPlan, values: ReadonlyMap<FusedWeightSpec, Float32Array>): Float32Array[] {
  const linear = plan.stages.filter((s) => s.kind === 'linear')
  const out: Float32Array[] = []
  for (const s of linear) {
    const kernel = values.get(s.kernel)!
    const bias = s.bias ? values.get(s.bias)! : new Float32Array(s.units)
    const bn = s.batchNorm
    if (!bn) {
      out.push(kernel.slice())
      if (s.bias) out.push(bias.slice())
      continue
    }
    const C = s.units
    const gamma = values.get(bn.gamma)!
    const beta = values.get(bn.beta)!
    const mean = values.get(bn.mean)!
    const variance = values.get(bn.variance)!
    const scale = Float64Array.from({ length: C }, (_, c) => gamma[c]! / Math.sqrt(variance[c]! + bn.epsilon))
    const k = new Float32Array(kernel.length)
    for (let i = 0; i < kernel.length; i++) k[i] = kernel[i]! * scale[i % C]!
    const b = Float32Array.from({ length: C }, (_, c) => (bias[c]! - mean[c]!) * scale[c]! + beta[c]!)
    out.push(k, b)
  }
  return out
}
