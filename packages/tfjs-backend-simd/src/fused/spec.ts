import { FusedNetworkError } from '../errors'
import type { FusedLayer, FusedNetwork } from './network'

// A declarative description of a sequential CNN, and its translation into the FusedNetwork the fused trainer runs.
// The types are structural (no import of a model package): this backend is a general tfjs backend, and any
// description of this shape works. @mnist/model's resolved `ModelConfig` is one (@mnist/train checks that by a type
// test), and `createModel(config)` builds a tfjs model whose weights come in the order documented on FusedModelSpec.

/** conv -> optional batch norm -> activation; a square kernel. */
export interface FusedSpecConv {
  readonly type: 'conv'
  readonly filters: number
  readonly kernelSize: number
  /** Default 1. */
  readonly strides?: number
  readonly padding: 'same' | 'valid'
  /** Default: true without batchNorm, false with it. */
  readonly useBias?: boolean
  /** Default false. */
  readonly batchNorm?: boolean
  /** Default 'relu'. */
  readonly activation?: 'relu' | 'linear'
}

/** Max pooling with strides = pool size, 'valid' padding. */
export interface FusedSpecMaxPool {
  readonly type: 'maxPool'
  /** Default 2. */
  readonly poolSize?: number
}

/** Mean over height and width: [h, w, c] -> [c]. */
export interface FusedSpecGlobalAvgPool {
  readonly type: 'globalAvgPool'
}

export interface FusedSpecFlatten {
  readonly type: 'flatten'
}

/** dense -> optional batch norm -> activation (a hidden layer; the logits layer is implied, see FusedModelSpec). */
export interface FusedSpecDense {
  readonly type: 'dense'
  readonly units: number
  /** Default 'relu'. */
  readonly activation?: 'relu' | 'linear'
  /** Default false. */
  readonly batchNorm?: boolean
  /** Default: true without batchNorm, false with it. */
  readonly useBias?: boolean
}

export interface FusedSpecDropout {
  readonly type: 'dropout'
  readonly rate: number
}

/** The layer kinds the fused trainer runs. */
export type FusedSpecKnownLayer =
  FusedSpecConv | FusedSpecMaxPool | FusedSpecGlobalAvgPool | FusedSpecFlatten | FusedSpecDense | FusedSpecDropout

/**
 * One hidden layer of a FusedModelSpec. A description may hold other kinds (e.g. an upsampling layer):
 * fusedNetworkFromSpec then throws FusedNetworkError naming it, so the caller can train with tfjs ops instead.
 */
export type FusedSpecLayer = FusedSpecKnownLayer | { readonly type: string }

/**
 * A sequential CNN: `inputShape`, the hidden `layers`, then a dense logits layer of `classes` units with bias and no
 * activation (implied, not listed). Every batch norm uses `batchNormEpsilon` and `batchNormMomentum` (the weight of
 * the old moving statistics). The weights of the matching tfjs-layers model, in layer order: trainable (kernel, bias
 * if any, then gamma and beta of its batch norm) are FusedTrainer's `paramSpecs`; non-trainable (moving mean and
 * variance per batch norm) its `stateSpecs`.
 */
export interface FusedModelSpec {
  readonly inputShape: readonly [number, number, number]
  readonly classes: number
  readonly batchNormEpsilon: number
  readonly batchNormMomentum: number
  readonly layers: readonly FusedSpecLayer[]
}

const KNOWN: ReadonlySet<string> = new Set<FusedSpecKnownLayer['type']>([
  'conv',
  'maxPool',
  'globalAvgPool',
  'flatten',
  'dense',
  'dropout',
])

function isKnown(layer: FusedSpecLayer): layer is FusedSpecKnownLayer {
  return KNOWN.has(layer.type)
}

/**
 * The FusedNetwork of a spec (`new FusedTrainer(fusedNetworkFromSpec(spec), options)`). Throws FusedNetworkError
 * naming `layers[i]` for a layer kind or activation the fused trainer does not run; the sizes are checked by
 * FusedTrainer (planNetwork).
 */
export function fusedNetworkFromSpec(spec: FusedModelSpec): FusedNetwork {
  const out: FusedLayer[] = []
  spec.layers.forEach((layer, i) => {
    const where = `layers[${i}]`
    if (!isKnown(layer)) {
      throw new FusedNetworkError(where, `layer type ${JSON.stringify(layer.type)} is not supported by the fused step`)
    }
    switch (layer.type) {
      case 'conv':
      case 'dense': {
        const batchNorm = layer.batchNorm ?? false
        const useBias = layer.useBias ?? !batchNorm
        out.push(
          layer.type === 'conv'
            ? {
                type: 'conv2d',
                filters: layer.filters,
                kernelSize: [layer.kernelSize, layer.kernelSize],
                strides: [layer.strides ?? 1, layer.strides ?? 1],
                padding: layer.padding,
                useBias,
              }
            : { type: 'dense', units: layer.units, useBias },
        )
        if (batchNorm) out.push({ type: 'batchNorm', epsilon: spec.batchNormEpsilon, momentum: spec.batchNormMomentum })
        const activation = layer.activation ?? 'relu'
        if (activation === 'relu') out.push({ type: 'relu' })
        else if (activation !== 'linear') {
          throw new FusedNetworkError(
            `${where}.activation`,
            `${JSON.stringify(activation)} is not supported (relu or linear)`,
          )
        }
        break
      }
      case 'maxPool': {
        const size = layer.poolSize ?? 2
        out.push({ type: 'maxPool', poolSize: [size, size], strides: [size, size] })
        break
      }
      case 'globalAvgPool':
        out.push({ type: 'globalAvgPool' })
        break
      case 'flatten':
        out.push({ type: 'flatten' })
        break
      case 'dropout':
        out.push({ type: 'dropout', rate: layer.rate })
        break
    }
  })
  out.push({ type: 'dense', units: spec.classes, useBias: true })
  return { inputShape: [spec.inputShape[0], spec.inputShape[1], spec.inputShape[2]], layers: out }
}
