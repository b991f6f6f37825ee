// Test helpers: the fused trainer's network written with tfjs ops and differentiated by tfjs on 'cpu' (the reference
// the fused trainer's tests compare against). Not part of the public API.
import * as tf from '@tensorflow/tfjs-core'
import { planNetwork, type FusedLayer, type FusedNetwork } from './network'
import { fusedNetworkFromSpec, type FusedModelSpec, type FusedSpecKnownLayer } from './spec'

const BUDGET = 25_000

/** A conv layer with batch norm and ReLU, as every conv of model C and the default network has. */
export const bnConv = (
  filters: number,
  kernelSize: number,
  padding: 'same' | 'valid' = 'same',
): FusedSpecKnownLayer => ({
  type: 'conv',
  filters,
  kernelSize,
  padding,
  batchNorm: true,
})

/** Reference model C (docs/pytorch-reference.md): 1x1 convs, a 'valid' 3x3 conv, global average pooling. */
export const MODEL_C: FusedModelSpec = {
  inputShape: [28, 28, 1],
  classes: 10,
  batchNormEpsilon: 1e-5,
  batchNormMomentum: 0.9,
  layers: [
    ...[bnConv(8, 3), bnConv(16, 3), { type: 'maxPool', poolSize: 2 } as const],
    ...[bnConv(8, 1), bnConv(16, 3), bnConv(32, 3), { type: 'maxPool', poolSize: 2 } as const],
    ...[bnConv(16, 1), bnConv(32, 3), bnConv(32, 3, 'valid'), { type: 'globalAvgPool' } as const],
  ],
}

export function mix32(v: number): number {
  v ^= v >>> 16
  v = Math.imul(v, 0x7feb352d)
  v ^= v >>> 15
  v = Math.imul(v, 0x846ca68b)
  v ^= v >>> 16
  return v >>> 0
}

/** The documented dropout mask: element i kept when hash(seed, i) >= rate * 2^32. */
export function dropoutMask(n: number, seed: number, rate: number): Float32Array {
  const s = mix32((seed ^ 0x9e3779b9) >>> 0)
  const threshold = Math.round(rate * 4294967296)
  const out = new Float32Array(n)
  for (let i = 0; i < n; i++) out[i] = mix32((Math.imul(i, 0x9e3779b9) ^ s) >>> 0) >= threshold ? 1 / (1 - rate) : 0
  return out
}

export interface Reference {
  loss: number
  grads: Float32Array[]
  states: Float32Array[]
  logits: Float32Array
}

/** Loss, gradients and updated moving statistics computed with tfjs ops (tf.variableGrads) on 'cpu'. */
export async function reference(
  net: FusedNetwork,
  weights: Float32Array[],
  states: Float32Array[],
  images: Float32Array,
  labels: number[],
  smoothing: number,
  seed: number,
): Promise<Reference> {
  await tf.setBackend('cpu')
  const plan = planNetwork(net)
  const vars = plan.params.map((s, i) => tf.variable(tf.tensor(weights[i]!, s.shape), true, `p${i}`))
  const newStates = states.map((s) => s.slice())
  const n = labels.length
  let logits: Float32Array = new Float32Array()
  const { value, grads } = tf.variableGrads(() => {
    let h: tf.Tensor = tf.tensor(images, [n, ...net.inputShape])
    let p = 0
    let st = 0
    let linear = -1
    net.layers.forEach((l: FusedLayer, i) => {
      switch (l.type) {
        case 'conv2d':
          h = tf.conv2d(
            h as tf.Tensor4D,
            vars[p++] as tf.Variable as unknown as tf.Tensor4D,
            l.strides ?? [1, 1],
            l.padding,
          )
          if (l.useBias) h = tf.add(h, vars[p++]!)
          linear = i
          break
        case 'dense':
          h = tf.matMul(h as tf.Tensor2D, vars[p++] as unknown as tf.Tensor2D)
          if (l.useBias) h = tf.add(h, vars[p++]!)
          linear = i
          break
        case 'batchNorm': {
          const axes = h.shape.slice(0, -1).map((_, k) => k)
          const { mean, variance } = tf.moments(h, axes)
          const m = mean.dataSync()
          const v = variance.dataSync()
          for (let c = 0; c < m.length; c++) {
            newStates[st]![c] = newStates[st]![c]! - (newStates[st]![c]! - m[c]!) * (1 - l.momentum)
            newStates[st + 1]![c] = newStates[st + 1]![c]! - (newStates[st + 1]![c]! - v[c]!) * (1 - l.momentum)
          }
          st += 2
          h = tf.batchNorm(h, mean, variance, vars[p + 1]!, vars[p]!, l.epsilon)
          p += 2
          break
        }
        case 'relu':
          h = tf.relu(h)
          break
        case 'maxPool':
          h = tf.maxPool(h as tf.Tensor4D, l.poolSize, l.strides ?? l.poolSize, 'valid')
          break
        case 'globalAvgPool':
          h = tf.mean(h, [1, 2])
          break
        case 'flatten':
          h = tf.reshape(h, [n, -1])
          break
        case 'dropout': {
          const stageIndex = plan.stages.findIndex((s) => s.layer === i)
          h = tf.mul(h, tf.tensor(dropoutMask(h.size, (seed + stageIndex) >>> 0, l.rate), h.shape))
          break
        }
      }
      void linear
    })
    logits = h.dataSync() as Float32Array
    return tf.losses.softmaxCrossEntropy(tf.oneHot(labels, 10), h, undefined, smoothing) as tf.Scalar
  }, vars)
  const out = {
    loss: value.dataSync()[0]!,
    grads: vars.map((v) => grads[v.name]!.dataSync() as Float32Array),
    states: newStates,
    logits,
  }
  tf.dispose([value, ...Object.values(grads), ...vars])
  return out
}

export async function referenceInference(
  net: FusedNetwork,
  weights: Float32Array[],
  states: Float32Array[],
  x: Float32Array,
  n: number,
): Promise<Float32Array> {
  await tf.setBackend('cpu')
  return tf.tidy(() => {
    let h: tf.Tensor = tf.tensor(x, [n, ...net.inputShape])
    let p = 0
    let st = 0
    for (const l of net.layers) {
      if (l.type === 'conv2d') {
        h = tf.conv2d(
          h as tf.Tensor4D,
          tf.tensor(weights[p++]!, [l.kernelSize[0], l.kernelSize[1], h.shape[3]!, l.filters]) as tf.Tensor4D,
          l.strides ?? [1, 1],
          l.padding,
        )
        if (l.useBias) h = tf.add(h, tf.tensor(weights[p++]!))
      } else if (l.type === 'dense') {
        h = tf.matMul(h as tf.Tensor2D, tf.tensor(weights[p++]!, [h.shape[1]!, l.units]) as tf.Tensor2D)
        if (l.useBias) h = tf.add(h, tf.tensor(weights[p++]!))
      } else if (l.type === 'batchNorm') {
        h = tf.batchNorm(
          h,
          tf.tensor(states[st]!),
          tf.tensor(states[st + 1]!),
          tf.tensor(weights[p + 1]!),
          tf.tensor(weights[p]!),
          l.epsilon,
        )
        p += 2
        st += 2
      } else if (l.type === 'relu') h = tf.relu(h)
      else if (l.type === 'maxPool') h = tf.maxPool(h as tf.Tensor4D, l.poolSize, l.strides ?? l.poolSize, 'valid')
      else if (l.type === 'globalAvgPool') h = tf.mean(h, [1, 2])
      else if (l.type === 'flatten') h = tf.reshape(h, [n, -1])
    }
    return h.dataSync() as Float32Array
  })
}

/** xorshift32 in [0, 1). */
export function rng(seed: number): () => number {
  let s = seed >>> 0 || 1
  return () => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s / 4294967296
  }
}

/** A random valid architecture of @mnist/model's kind under its 25,000-parameter budget (28x28x1 input, 10 classes) and the features it uses. */
export function randomSpec(rand: () => number): { spec: FusedModelSpec; features: Set<string> } {
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1))
  for (;;) {
    const features = new Set<string>()
    const layers: FusedSpecKnownLayer[] = []
    let h = 28
    const convs = int(1, 4)
    for (let i = 0; i < convs; i++) {
      const kernelSize = int(1, 7)
      const strides = int(1, 2)
      const padding = rand() < 0.5 ? 'same' : 'valid'
      const oh = padding === 'same' ? Math.ceil(h / strides) : Math.floor((h - kernelSize) / strides) + 1
      if (oh < 1) break
      const batchNorm = rand() < 0.5
      const useBias = rand() < 0.3 ? !batchNorm : rand() < 0.5
      const activation = rand() < 0.8 ? 'relu' : 'linear'
      const filters = int(2, 12)
      layers.push({ type: 'conv', filters, kernelSize, strides, padding, batchNorm, useBias, activation })
      h = oh
      features.add(`k${kernelSize}`).add(`s${strides}`).add(padding).add(activation)
      if (batchNorm) features.add('convBn')
      if (useBias) features.add('bias')
      if (rand() < 0.4) {
        const poolSize = int(1, 4)
        if (poolSize > h) continue
        layers.push({ type: 'maxPool', poolSize })
        h = Math.floor(h / poolSize)
        features.add(`pool${poolSize}`)
      }
    }
    if (layers.length === 0) continue
    if (rand() < 0.5) {
      layers.push({ type: 'globalAvgPool' })
      features.add('gap')
    } else {
      layers.push({ type: 'flatten' })
    }
    if (rand() < 0.5) {
      layers.push({ type: 'dropout', rate: 0.1 + 0.3 * rand() })
      features.add('dropout')
    }
    if (rand() < 0.6) {
      const batchNorm = rand() < 0.5
      const units = int(4, 16)
      layers.push({ type: 'dense', units, batchNorm, activation: rand() < 0.8 ? 'relu' : 'linear' })
      if (batchNorm) features.add('denseBn')
    }
    const spec: FusedModelSpec = {
      inputShape: [28, 28, 1],
      classes: 10,
      batchNormEpsilon: 1e-3,
      batchNormMomentum: 0.9,
      layers,
    }
    if (planNetwork(fusedNetworkFromSpec(spec)).paramCount < BUDGET) return { spec, features }
  }
}
