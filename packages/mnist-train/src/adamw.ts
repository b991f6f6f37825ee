import * as tf from '@tensorflow/tfjs-core'
import { InvalidTrainConfigError } from './errors'

export interface AdamWOptions {
  learningRate: number
  /** Default 0.9 (a one-cycle schedule overrides it every step). */
  beta1?: number
  /** Default 0.999. */
  beta2?: number
  /** Default 1e-8 (PyTorch's; tfjs's own Adam uses 1e-7). */
  epsilon?: number
  /** Decoupled weight decay, applied as `p *= 1 - lr * weightDecay` before the Adam step. Default 0.01. */
  weightDecay?: number
  /**
   * Where the update runs. `'js'`: a fused loop over the values read back from the backend (fast on CPU-memory
   * backends: cpu, wasm, simd, tensorflow). `'tensor'`: tfjs ops, the state stays on the device (webgpu, webgl).
   * `'auto'` (default) picks by the active backend. Both compute the same formula.
   */
  implementation?: 'auto' | 'js' | 'tensor'
}

/** Adam's moments for one variable, as plain arrays (what a checkpoint stores). */
export interface AdamWSlot {
  /** The variable's name when the state was taken (informative; slots are matched by position and shape). */
  name: string
  shape: number[]
  m: Float32Array
  v: Float32Array
}

export interface AdamWState {
  /** Updates applied so far (PyTorch's `state['step']`); bias corrections use it. */
  step: number
  slots: AdamWSlot[]
}

const ON_DEVICE_BACKENDS = new Set(['webgpu', 'webgl'])

/**
 * AdamW as in PyTorch (`torch.optim.AdamW`, amsgrad off): decoupled weight decay on every variable, bias-corrected
 * moments, `epsilon` added after the square root. tfjs ships only Adam (L2 decay through the loss), hence this class.
 * `learningRate` and `beta1` may be changed between steps (that is how the one-cycle schedule drives it); the bias
 * correction uses the current `beta1`, as PyTorch does. The state exports to and restores from plain arrays, so a
 * checkpoint resumes bit for bit.
 */
export class AdamW {
  learningRate: number
  beta1: number
  readonly beta2: number
  readonly epsilon: number
  readonly weightDecay: number
  readonly implementation: 'js' | 'tensor'
  private readonly variables: tf.Variable[]
  private stepCount = 0
  // js implementation: the moments live here. tensor implementation: in tfjs variables.
  private readonly m: Float32Array[] = []
  private readonly v: Float32Array[] = []
  private readonly mVars: tf.Variable[] = []
  private readonly vVars: tf.Variable[] = []

  constructor(variables: readonly tf.Variable[], options: AdamWOptions) {
    this.learningRate = options.learningRate
    this.beta1 = options.beta1 ?? 0.9
    this.beta2 = options.beta2 ?? 0.999
    this.epsilon = options.epsilon ?? 1e-8
    this.weightDecay = options.weightDecay ?? 0.01
    checkRange('learningRate', this.learningRate, 0, Infinity, true)
    checkRange('beta1', this.beta1, 0, 1, false)
    checkRange('beta2', this.beta2, 0, 1, false)
    checkRange('epsilon', this.epsilon, 0, Infinity, true)
    checkRange('weightDecay', this.weightDecay, 0, Infinity, true)
    const wanted = options.implementation ?? 'auto'
    this.implementation = wanted === 'auto' ? (ON_DEVICE_BACKENDS.has(tf.getBackend()) ? 'tensor' : 'js') : wanted
    this.variables = [...variables]
    for (const variable of this.variables) {
      if (this.implementation === 'js') {
        this.m.push(new Float32Array(variable.size))
        this.v.push(new Float32Array(variable.size))
      } else {
        this.mVars.push(tf.variable(tf.zerosLike(variable), false))
        this.vVars.push(tf.variable(tf.zerosLike(variable), false))
      }
    }
  }

  /** Updates applied so far. */
  get step(): number {
    return this.stepCount
  }

  /**
   * One update. `grads` are in the order of the variables given to the constructor, or keyed by variable name (what
   * `tf.variableGrads` returns). The gradients are not disposed.
   */
  applyGradients(grads: readonly tf.Tensor[] | tf.NamedTensorMap): void {
    const list = Array.isArray(grads)
      ? (grads as readonly tf.Tensor[])
      : this.variables.map((variable) => (grads as tf.NamedTensorMap)[variable.name])
    if (list.length !== this.variables.length) {
      throw new InvalidTrainConfigError('grads', `${this.variables.length} gradients`, `${list.length}`)
    }
    this.stepCount += 1
    const lr = this.learningRate
    const bc1 = 1 - this.beta1 ** this.stepCount
    const bc2 = 1 - this.beta2 ** this.stepCount
    const stepSize = lr / bc1
    const bc2Sqrt = Math.sqrt(bc2)
    const decay = 1 - lr * this.weightDecay
    for (let i = 0; i < this.variables.length; i++) {
      const variable = this.variables[i]!
      const grad = list[i]
      if (grad === undefined)
        throw new InvalidTrainConfigError('grads', `a gradient for variable "${variable.name}"`, 'none')
      if (this.implementation === 'js') this.updateJs(i, variable, grad, stepSize, bc2Sqrt, decay)
      else this.updateTensor(i, variable, grad, stepSize, bc2Sqrt, decay)
    }
  }

  private updateJs(
    i: number,
    variable: tf.Variable,
    grad: tf.Tensor,
    stepSize: number,
    bc2Sqrt: number,
    decay: number,
  ): void {
    const g = grad.dataSync() as Float32Array
    const p = variable.dataSync() as Float32Array
    const m = this.m[i]!
    const v = this.v[i]!
    const b1 = this.beta1
    const b2 = this.beta2
    const oneMinusB1 = 1 - b1
    const oneMinusB2 = 1 - b2
    const eps = this.epsilon
    const out = new Float32Array(p.length)
    for (let k = 0; k < p.length; k++) {
      const gk = g[k]!
      const mk = (m[k] = m[k]! * b1 + gk * oneMinusB1)
      const vk = (v[k] = v[k]! * b2 + gk * gk * oneMinusB2)
      out[k] = p[k]! * decay - (stepSize * mk) / (Math.sqrt(vk) / bc2Sqrt + eps)
    }
    const next = tf.tensor(out, variable.shape, 'float32')
    variable.assign(next)
    next.dispose()
  }

  private updateTensor(
    i: number,
    variable: tf.Variable,
    grad: tf.Tensor,
    stepSize: number,
    bc2Sqrt: number,
    decay: number,
  ): void {
    const mVar = this.mVars[i]!
    const vVar = this.vVars[i]!
    tf.tidy(() => {
      const m = tf.add(tf.mul(mVar, this.beta1), tf.mul(grad, 1 - this.beta1))
      const v = tf.add(tf.mul(vVar, this.beta2), tf.mul(tf.square(grad), 1 - this.beta2))
      const denom = tf.add(tf.div(tf.sqrt(v), bc2Sqrt), this.epsilon)
      const p = tf.sub(tf.mul(variable, decay), tf.mul(tf.div(m, denom), stepSize))
      mVar.assign(m)
      vVar.assign(v)
      variable.assign(p)
    })
  }

  /** A copy of the optimiser state (moments and step count). */
  getState(): AdamWState {
    return {
      step: this.stepCount,
      slots: this.variables.map((variable, i) => ({
        name: variable.name,
        shape: [...variable.shape],
        m: this.implementation === 'js' ? this.m[i]!.slice() : (this.mVars[i]!.dataSync() as Float32Array).slice(),
        v: this.implementation === 'js' ? this.v[i]!.slice() : (this.vVars[i]!.dataSync() as Float32Array).slice(),
      })),
    }
  }

  /** Restore a state taken by `getState` (slots matched by position; shapes must agree). */
  setState(state: AdamWState): void {
    if (!Number.isSafeInteger(state.step) || state.step < 0) {
      throw new InvalidTrainConfigError('optimizer.step', 'a non-negative integer', state.step)
    }
    if (state.slots.length !== this.variables.length) {
      throw new InvalidTrainConfigError('optimizer.slots', `${this.variables.length} slots`, state.slots.length)
    }
    state.slots.forEach((slot, i) => {
      const variable = this.variables[i]!
      if (
        slot.shape.join(',') !== variable.shape.join(',') ||
        slot.m.length !== variable.size ||
        slot.v.length !== variable.size
      ) {
        throw new InvalidTrainConfigError(
          `optimizer.slots[${i}].shape`,
          `[${variable.shape.join(', ')}] (variable "${variable.name}")`,
          `[${slot.shape.join(', ')}]`,
        )
      }
    })
    state.slots.forEach((slot, i) => {
      if (this.implementation === 'js') {
        this.m[i]!.set(slot.m)
        this.v[i]!.set(slot.v)
      } else {
        const variable = this.variables[i]!
        tf.tidy(() => {
          this.mVars[i]!.assign(tf.tensor(slot.m, variable.shape, 'float32'))
          this.vVars[i]!.assign(tf.tensor(slot.v, variable.shape, 'float32'))
        })
      }
    })
    this.stepCount = state.step
  }

  /** Free the tensor implementation's moment variables. */
  dispose(): void {
    for (const variable of [...this.mVars, ...this.vVars]) variable.dispose()
    this.mVars.length = 0
    this.vVars.length = 0
  }
}

function checkRange(option: string, value: number, min: number, max: number, maxInclusive: boolean): void {
  const ok =
    typeof value === 'number' && Number.isFinite(value)
      ? value >= min && (maxInclusive ? value <= max : value < max)
      : false
  if (!ok) throw new InvalidTrainConfigError(option, `a number in [${min}, ${max}${maxInclusive ? ']' : ')'}`, value)
}
