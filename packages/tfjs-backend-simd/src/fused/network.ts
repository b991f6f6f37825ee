import { backend_util } from '@tensorflow/tfjs-core'
import { FusedNetworkError } from '../errors'

/** 2-D convolution, NHWC, weights [kh, kw, inChannels, filters] (the tfjs layout), optional bias [filters]. */
export interface FusedConv2DLayer {
  type: 'conv2d'
  filters: number
  kernelSize: [number, number]
  /** Default [1, 1]. */
  strides?: [number, number]
  padding: 'same' | 'valid'
  useBias: boolean
}

/**
 * Batch normalisation over the last axis, right after a conv2d or dense layer: batch statistics while training,
 * moving statistics for inference; trainable gamma and beta, moving mean / variance updated as tfjs-layers does
 * (`moving = moving - (moving - batch) * (1 - momentum)`, biased batch variance).
 */
export interface FusedBatchNormLayer {
  type: 'batchNorm'
  epsilon: number
  /** Weight of the old moving statistics (Keras convention; 0.9 = PyTorch's momentum 0.1). */
  momentum: number
}

export interface FusedReluLayer {
  type: 'relu'
}

export interface FusedMaxPoolLayer {
  type: 'maxPool'
  poolSize: [number, number]
  /** Default: poolSize. 'valid' padding. */
  strides?: [number, number]
}

/** Mean over height and width of an [h, w, c] input: a flat [c] output (tfjs-layers' GlobalAveragePooling2D). */
export interface FusedGlobalAvgPoolLayer {
  type: 'globalAvgPool'
}

export interface FusedFlattenLayer {
  type: 'flatten'
}

/** Inverted dropout while training (kept units scaled by 1/(1-rate)); identity for inference. */
export interface FusedDropoutLayer {
  type: 'dropout'
  rate: number
}

/** Fully connected, weights [inputs, units], optional bias [units]. */
export interface FusedDenseLayer {
  type: 'dense'
  units: number
  useBias: boolean
}

export type FusedLayer =
  | FusedConv2DLayer
  | FusedBatchNormLayer
  | FusedReluLayer
  | FusedMaxPoolLayer
  | FusedGlobalAvgPoolLayer
  | FusedFlattenLayer
  | FusedDropoutLayer
  | FusedDenseLayer

/**
 * A sequential network the fused trainer runs: image input [height, width, channels], then the layers. The last
 * layer's output are the logits of a softmax cross-entropy loss. batchNorm and relu must directly follow a conv2d or
 * dense layer (relu may also follow its batchNorm): they run fused into that layer's passes.
 */
export interface FusedNetwork {
  inputShape: [number, number, number]
  layers: FusedLayer[]
}

/** One trainable or state array of the network, in tfjs-layers weight order. */
export interface FusedWeightSpec {
  /** `layers[i]` it belongs to. */
  layer: number
  name: 'kernel' | 'bias' | 'gamma' | 'beta' | 'movingMean' | 'movingVariance'
  shape: number[]
  size: number
  /** Offset in floats into the flat parameter array (trainable) or state array (moving statistics). */
  offset: number
}

/** A conv2d/dense layer with its fused batch norm and ReLU. */
export interface LinearStage {
  kind: 'linear'
  layer: number
  conv: backend_util.Conv2DInfo | undefined
  /** Dense: inputs and units. Conv: K = kh*kw*inChannels and filters. */
  inputs: number
  units: number
  /** Output rows per image (OH*OW for conv, 1 for dense) and channels. */
  rowsPerImage: number
  channels: number
  kernel: FusedWeightSpec
  bias: FusedWeightSpec | undefined
  batchNorm:
    | {
        epsilon: number
        momentum: number
        gamma: FusedWeightSpec
        beta: FusedWeightSpec
        mean: FusedWeightSpec
        variance: FusedWeightSpec
      }
    | undefined
  relu: boolean
  inSize: number
  outSize: number
}

export interface PoolStage {
  kind: 'maxPool'
  layer: number
  pool: backend_util.Conv2DInfo
  inSize: number
  outSize: number
}

export interface DropoutStage {
  kind: 'dropout'
  layer: number
  rate: number
  inSize: number
  outSize: number
}

/** Global average pooling: each image's `pixels` rows of `channels` values averaged into one row. */
export interface GlobalAvgPoolStage {
  kind: 'globalAvgPool'
  layer: number
  pixels: number
  channels: number
  inSize: number
  outSize: number
}

export type Stage = LinearStage | PoolStage | GlobalAvgPoolStage | DropoutStage

export interface NetworkPlan {
  stages: Stage[]
  params: FusedWeightSpec[]
  states: FusedWeightSpec[]
  paramCount: number
  stateCount: number
  /** Floats per image of the input and of the logits. */
  inputSize: number
  classes: number
}

const isPosInt = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1
const pair = (v: unknown): v is [number, number] => Array.isArray(v) && v.length === 2 && v.every(isPosInt)

/** What planning carries from one layer to the next: the running shape (batch 1) and the layout so far. */
interface PlanState {
  shape: number[]
  stages: Stage[]
  params: FusedWeightSpec[]
  states: FusedWeightSpec[]
  paramCount: number
  stateCount: number
}

/**
 * Checks the network and lays out its weights, activations and stages (shapes for batch size 1; the trainer scales
 * by the batch). Throws FusedNetworkError naming the layer for anything the fused trainer does not run.
 */
export function planNetwork(network: FusedNetwork): NetworkPlan {
  const [H, W, C] = network.inputShape ?? []
  if (![H, W, C].every(isPosInt)) {
    throw new FusedNetworkError(
      'inputShape',
      `expected [height, width, channels] of positive integers, found ${JSON.stringify(network.inputShape)}`,
    )
  }
  const st: PlanState = { shape: [H!, W!, C!], stages: [], params: [], states: [], paramCount: 0, stateCount: 0 }
  const layers = network.layers ?? []
  let i = 0
  while (i < layers.length) i = planLayer(st, layers, i)
  const { shape, stages, params, states, paramCount, stateCount } = st
  const last = stages[stages.length - 1]
  if (last?.kind !== 'linear' || last.conv !== undefined || last.relu || last.batchNorm || shape.length !== 1) {
    throw new FusedNetworkError(
      'layers',
      'the last layer must be a dense layer without batchNorm or relu (it outputs the logits)',
    )
  }
  return { stages, params, states, paramCount, stateCount, inputSize: H! * W! * C!, classes: shape[0]! }
}

/** Plan `layers[i]` (with the batchNorm and relu it absorbs); returns the index of the next layer to plan. */
function planLayer(st: PlanState, layers: FusedLayer[], i: number): number {
  const l = layers[i]!
  const where = `layers[${i}]`
  switch (l.type) {
    case 'conv2d':
    case 'dense': {
      const stage = l.type === 'conv2d' ? planConv(st, l, i, where) : planDense(st, l, i, where)
      const next = foldNormRelu(st, stage, layers, i)
      st.stages.push(stage)
      return next
    }
    case 'batchNorm':
    case 'relu':
      throw new FusedNetworkError(
        where,
        `${l.type} must directly follow a conv2d or dense layer (it runs fused into it)`,
      )
    case 'maxPool':
      planMaxPool(st, l, i, where)
      return i + 1
    case 'globalAvgPool': {
      const { shape } = st
      if (shape.length !== 3)
        throw new FusedNetworkError(where, `globalAvgPool needs an [h, w, c] input, found [${shape.join(', ')}]`)
      const inSize = sizeOf(st)
      st.shape = [shape[2]!]
      const stage = { kind: 'globalAvgPool', layer: i, pixels: shape[0]! * shape[1]!, channels: shape[2]! } as const
      st.stages.push({ ...stage, inSize, outSize: shape[2]! })
      return i + 1
    }
    case 'flatten':
      st.shape = [sizeOf(st)]
      return i + 1
    case 'dropout':
      if (!(typeof l.rate === 'number' && l.rate >= 0 && l.rate < 1)) {
        throw new FusedNetworkError(`${where}.rate`, `expected a number in [0, 1), found ${JSON.stringify(l.rate)}`)
      }
      if (l.rate > 0)
        st.stages.push({ kind: 'dropout', layer: i, rate: l.rate, inSize: sizeOf(st), outSize: sizeOf(st) })
      return i + 1
    default:
      throw new FusedNetworkError(where, `unsupported layer type ${JSON.stringify((l as { type?: unknown }).type)}`)
  }
}

/** Floats per image of the running shape. */
function sizeOf(st: PlanState): number {
  return st.shape.reduce((a, b) => a * b, 1)
}

/** Lay out the next trainable parameter (or, with `state`, moving statistic) of `layers[layer]`. */
function addWeight(
  st: PlanState,
  layer: number,
  name: FusedWeightSpec['name'],
  dims: number[],
  state = false,
): FusedWeightSpec {
  const size = dims.reduce((a, b) => a * b, 1)
  const spec = { layer, name, shape: dims, size, offset: state ? st.stateCount : st.paramCount }
  if (state) {
    st.states.push(spec)
    st.stateCount += size
  } else {
    st.params.push(spec)
    st.paramCount += size
  }
  return spec
}

function planConv(st: PlanState, l: FusedConv2DLayer, i: number, where: string): LinearStage {
  const inSize = sizeOf(st)
  const { shape } = st
  if (shape.length !== 3)
    throw new FusedNetworkError(where, `conv2d needs an [h, w, c] input, found [${shape.join(', ')}]`)
  if (!isPosInt(l.filters) || !pair(l.kernelSize) || (l.strides !== undefined && !pair(l.strides))) {
    throw new FusedNetworkError(where, 'expected positive integer filters, kernelSize [kh, kw] and strides [sh, sw]')
  }
  if (l.padding !== 'same' && l.padding !== 'valid')
    throw new FusedNetworkError(`${where}.padding`, `expected 'same' or 'valid', found ${JSON.stringify(l.padding)}`)
  const [kh, kw] = l.kernelSize
  const info = backend_util.computeConv2DInfo(
    [1, shape[0]!, shape[1]!, shape[2]!],
    [kh, kw, shape[2]!, l.filters],
    l.strides ?? [1, 1],
    1,
    l.padding,
  )
  if (info.outHeight < 1 || info.outWidth < 1)
    throw new FusedNetworkError(where, `the ${kh}x${kw} kernel does not fit the [${shape.join(', ')}] input`)
  const kernel = addWeight(st, i, 'kernel', [kh, kw, shape[2]!, l.filters])
  const bias = l.useBias ? addWeight(st, i, 'bias', [l.filters]) : undefined
  st.shape = [info.outHeight, info.outWidth, l.filters]
  return {
    kind: 'linear',
    layer: i,
    conv: info,
    inputs: kh * kw * info.inChannels,
    units: l.filters,
    rowsPerImage: info.outHeight * info.outWidth,
    channels: l.filters,
    kernel,
    bias,
    batchNorm: undefined,
    relu: false,
    inSize,
    outSize: sizeOf(st),
  }
}

function planDense(st: PlanState, l: FusedDenseLayer, i: number, where: string): LinearStage {
  const inSize = sizeOf(st)
  const { shape } = st
  if (shape.length !== 1)
    throw new FusedNetworkError(where, `dense needs a flat input (add a flatten layer), found [${shape.join(', ')}]`)
  if (!isPosInt(l.units))
    throw new FusedNetworkError(`${where}.units`, `expected a positive integer, found ${JSON.stringify(l.units)}`)
  const kernel = addWeight(st, i, 'kernel', [shape[0]!, l.units])
  const bias = l.useBias ? addWeight(st, i, 'bias', [l.units]) : undefined
  st.shape = [l.units]
  return {
    kind: 'linear',
    layer: i,
    conv: undefined,
    inputs: shape[0]!,
    units: l.units,
    rowsPerImage: 1,
    channels: l.units,
    kernel,
    bias,
    batchNorm: undefined,
    relu: false,
    inSize,
    outSize: l.units,
  }
}

/**
 * Fold the batchNorm and relu that directly follow `layers[i]` into its stage; returns the index of the first layer
 * not folded.
 */
function foldNormRelu(st: PlanState, stage: LinearStage, layers: FusedLayer[], i: number): number {
  let next = layers[i + 1]
  if (next?.type === 'batchNorm') {
    const bn = next
    if (!(bn.epsilon > 0) || !(bn.momentum >= 0 && bn.momentum < 1)) {
      throw new FusedNetworkError(`layers[${i + 1}]`, 'expected epsilon > 0 and momentum in [0, 1)')
    }
    const ch = stage.channels
    stage.batchNorm = {
      epsilon: bn.epsilon,
      momentum: bn.momentum,
      gamma: addWeight(st, i + 1, 'gamma', [ch]),
      beta: addWeight(st, i + 1, 'beta', [ch]),
      mean: addWeight(st, i + 1, 'movingMean', [ch], true),
      variance: addWeight(st, i + 1, 'movingVariance', [ch], true),
    }
    i++
    next = layers[i + 1]
  }
  if (next?.type === 'relu') {
    stage.relu = true
    i++
  }
  return i + 1
}

function planMaxPool(st: PlanState, l: FusedMaxPoolLayer, i: number, where: string): void {
  const { shape } = st
  if (shape.length !== 3)
    throw new FusedNetworkError(where, `maxPool needs an [h, w, c] input, found [${shape.join(', ')}]`)
  if (!pair(l.poolSize) || (l.strides !== undefined && !pair(l.strides))) {
    throw new FusedNetworkError(where, 'expected poolSize and strides as [h, w] positive integers')
  }
  const inSize = sizeOf(st)
  const info = backend_util.computePool2DInfo(
    [1, shape[0]!, shape[1]!, shape[2]!],
    l.poolSize,
    l.strides ?? l.poolSize,
    1,
    'valid',
  )
  if (info.outHeight < 1 || info.outWidth < 1)
    throw new FusedNetworkError(where, `the pool window does not fit the [${shape.join(', ')}] input`)
  st.shape = [info.outHeight, info.outWidth, shape[2]!]
  st.stages.push({ kind: 'maxPool', layer: i, pool: info, inSize, outSize: sizeOf(st) })
}
