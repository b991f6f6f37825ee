// Model C of docs/pytorch-reference.md (the PyTorch reference the project set out to beat), built here with tf.layers so the benchmarks do not
// depend on @mnist/model, plus one training step the way @mnist/train runs it (variableGrads + softmax
// cross-entropy + an AdamW update in JS over the gradient arrays).
import * as tf from '@tensorflow/tfjs-core'
// Registers the gradients (tfjs-core's Node bundle has none); same tfjs-core instance.
import '@tensorflow/tfjs'
import * as tfl from '@tensorflow/tfjs-layers'

export function buildModelC(seed = 1): tfl.LayersModel {
  let s = seed
  const init = () => tfl.initializers.heNormal({ seed: s++ })
  const input = tfl.input({ shape: [28, 28, 1] })
  let h: tfl.SymbolicTensor = input
  const block = (filters: number, kernel: number, padding: 'same' | 'valid') => {
    h = tfl.layers
      .conv2d({ filters, kernelSize: kernel, padding, useBias: false, kernelInitializer: init() })
      .apply(h) as tfl.SymbolicTensor
    h = tfl.layers.batchNormalization().apply(h) as tfl.SymbolicTensor
    h = tfl.layers.reLU().apply(h) as tfl.SymbolicTensor
  }
  block(8, 3, 'same')
  block(16, 3, 'same')
  h = tfl.layers.maxPooling2d({ poolSize: 2 }).apply(h) as tfl.SymbolicTensor
  block(8, 1, 'same')
  block(16, 3, 'same')
  block(32, 3, 'same')
  h = tfl.layers.maxPooling2d({ poolSize: 2 }).apply(h) as tfl.SymbolicTensor
  block(16, 1, 'same')
  block(32, 3, 'same')
  block(32, 3, 'valid')
  h = tfl.layers.globalAveragePooling2d({}).apply(h) as tfl.SymbolicTensor
  const out = tfl.layers
    .dense({ units: 10, kernelInitializer: tfl.initializers.glorotUniform({ seed: s++ }) })
    .apply(h) as tfl.SymbolicTensor
  return tfl.model({ inputs: input, outputs: out })
}

/** Minimal AdamW over plain arrays, as @mnist/train does on CPU-like backends. */
export class JsAdamW {
  private readonly m: Float32Array[]
  private readonly v: Float32Array[]
  private t = 0
  constructor(
    readonly vars: tf.Variable[],
    readonly lr = 1e-3,
    readonly wd = 1e-4,
  ) {
    this.m = vars.map((v) => new Float32Array(v.size))
    this.v = vars.map((v) => new Float32Array(v.size))
  }
  apply(grads: tf.NamedTensorMap): void {
    this.t++
    const b1 = 0.9,
      b2 = 0.999,
      eps = 1e-8
    const c1 = 1 - b1 ** this.t,
      c2 = 1 - b2 ** this.t
    this.vars.forEach((variable, i) => {
      const g = grads[variable.name]!.dataSync() as Float32Array
      const w = variable.dataSync().slice() as Float32Array
      const m = this.m[i]!,
        v = this.v[i]!
      for (let k = 0; k < w.length; k++) {
        m[k] = b1 * m[k]! + (1 - b1) * g[k]!
        v[k] = b2 * v[k]! + (1 - b2) * g[k]! * g[k]!
        w[k] = w[k]! * (1 - this.lr * this.wd) - (this.lr * (m[k]! / c1)) / (Math.sqrt(v[k]! / c2) + eps)
      }
      const next = tf.tensor(w, variable.shape)
      variable.assign(next)
      next.dispose()
    })
  }
}

export function trainableVariables(model: tfl.LayersModel): tf.Variable[] {
  return model.trainableWeights.map((w) => (w as unknown as { val: tf.Variable }).val)
}

/** One step: forward in training mode, softmax cross-entropy, gradients, AdamW. Returns the loss. */
export function trainStep(
  model: tfl.LayersModel,
  opt: JsAdamW,
  xs: Float32Array,
  ys: Float32Array,
  batch: number,
): number {
  return tf.tidy(() => {
    const x = tf.tensor4d(xs, [batch, 28, 28, 1])
    const y = tf.tensor2d(ys, [batch, 10])
    const { value, grads } = tf.variableGrads(() => {
      const logits = model.apply(x, { training: true }) as tf.Tensor
      return tf.losses.softmaxCrossEntropy(y, logits) as tf.Scalar
    }, opt.vars)
    const loss = value.dataSync()[0]!
    opt.apply(grads)
    return loss
  })
}

export function randomBatch(batch: number, seed: number): { xs: Float32Array; ys: Float32Array } {
  let s = seed >>> 0 || 1
  const rnd = () => {
    s ^= s << 13
    s >>>= 0
    s ^= s >>> 17
    s ^= s << 5
    s >>>= 0
    return s / 4294967296
  }
  const xs = new Float32Array(batch * 784)
  for (let i = 0; i < xs.length; i++) xs[i] = rnd()
  const ys = new Float32Array(batch * 10)
  for (let i = 0; i < batch; i++) ys[i * 10 + Math.floor(rnd() * 10)] = 1
  return { xs, ys }
}
