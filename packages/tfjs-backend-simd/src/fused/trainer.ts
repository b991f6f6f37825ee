import { engine } from '@tensorflow/tfjs-core'
import type { SimdBackend } from '../backend'
import { FusedInputError, SimdBackendError, SimdNotActiveError } from '../errors'
import { SHARED_KEY } from '../process-state'
import { GEO_INTS, GEO_N, U_LINEAR, U_RELU } from '../../assembly/abi'
import { geometryInts, patchBlockRows as blockRows } from '../kernels/_conv'
import type { KernelArgs, KernelName, Runtime } from '../runtime'
import {
  planNetwork,
  type FusedNetwork,
  type FusedWeightSpec,
  type LinearStage,
  type NetworkPlan,
  type Stage,
} from './network'
import { ThreadTuner } from './thread-tuner'
import {
  CONV_TILES,
  FILTER4_TILES,
  FILTER_TILES,
  convScratch,
  filterGradByF4,
  filterScratch,
  transformFloats,
  transposedGeometry,
  usesWinograd,
} from './winograd'

export interface FusedTrainerOptions {
  /** Largest batch a step or a prediction call takes (buffers are sized for it). */
  batchSize: number
  /** Label smoothing of the softmax cross-entropy, in [0, 1) (tfjs's `softmaxCrossEntropy` semantics). Default 0. */
  labelSmoothing?: number
  /** The simd backend instance whose wasm memory and threads to use; default: the initialised 'simd' backend. */
  backend?: SimdBackend
  /**
   * Default true: trainStep times itself and keeps whichever is faster, one thread or all of the backend's threads
   * (see threadsInUse). false: always all threads. Results are the same either way.
   */
  adaptiveThreads?: boolean
}

/** PyTorch's AdamW hyper-parameters for one update (the schedule may change them every step). */
export interface AdamWHyperParameters {
  learningRate: number
  beta1: number
  beta2: number
  epsilon: number
  /** Decoupled weight decay: `p *= 1 - learningRate * weightDecay` before the Adam step, on every parameter. */
  weightDecay: number
}

export interface FusedBatch {
  /** `size` images, NHWC float32, already normalised (size * height * width * channels values). */
  images: Float32Array
  /** `size` class indices. */
  labels: ArrayLike<number>
  /** Images in this batch (<= batchSize). Default: labels.length. */
  size?: number
  /** Seed of this step's dropout masks (any 32-bit integer); the same seed gives the same masks. Default 0. */
  dropoutSeed?: number
}

export interface FusedStepResult {
  /** Mean loss over the batch (label smoothing included). */
  loss: number
  /** Images whose highest logit is the label. */
  correct: number
}

/** Adam moments and update count, per parameter array (the order of `paramSpecs`). */
export interface FusedOptimizerState {
  step: number
  m: Float32Array[]
  v: Float32Array[]
}

/**
 * @internal What the package's fused inference (fusedPredict) passes: `inferenceOnly` allocates only what
 * predictLogits needs (no gradients, moments or per-stage outputs: two buffers in turn; dropout reads its input).
 * Such a trainer only predicts.
 */
export interface FusedTrainerInternals {
  inferenceOnly?: boolean
}

/** The backend's registry name (BACKEND_NAME; not imported: backend.ts imports this module for fusedPredict). */
const SIMD = 'simd'

const RELU = U_RELU
/** Reductions (batch statistics, weight gradients) are always summed as this many partials, whatever the threads. */
const REDUCTION_PARTS = 2
const LINEAR = U_LINEAR
// Kinds of scratch blocks (scratchFor): per-thread im2col tiles, the reductions' f64 partials, a dense layer's dWᵀ
// and the conv weight gradients' second partials
const IM2COL = 0
const SUMS = 1
const DWT = 2
const DW_PART = 3
/** Per-thread (or per-part) blocks of the Winograd kernels' tile transforms. */
const WINO = 4

interface StageBuffers {
  /**
   * This stage's output (after batch norm and activation) and the gradient with respect to it. 0 (no buffer) for
   * a linear stage whose pool is fused into it (poolFused): its output is never stored at full resolution.
   */
  y: number
  dy: number
  /** Linear stages with batch norm: the conv/dense output before it. */
  z: number
  /** Dropout: this step's mask, a byte per element (written by the forward pass for the backward). */
  mask: number
  geo: number
  /** Transposed weights for the input gradient (not for a Winograd conv). */
  wt: number
  /**
   * A conv that runs as Winograd convolutions (usesWinograd): its filters' transforms for the forward pass (u) and for
   * the input gradient (ut, the rotated filters), and the input gradient's geometry (geoT); 0 otherwise.
   */
  u: number
  ut: number
  geoT: number
  /** Batch norm: batch mean / inverse std (f32, C each), scale+shift (2C), backward coefficients (4C). */
  mean: number
  scaleShift: number
  coef: number
  batchMean: Float32Array
  batchInvStd: Float32Array
}

/**
 * Trains a sequential CNN (conv2d / dense with fused batch norm and ReLU, max and global average pooling, flatten,
 * dropout; softmax
 * cross-entropy with label smoothing; AdamW) with one call per layer pass into the simd backend's WebAssembly
 * kernels and worker threads, instead of the ~300 tfjs kernels of the same step. The math is that of tfjs-layers
 * (batch statistics while training, biased batch variance in the moving average) and PyTorch's AdamW; the
 * parameters, moving statistics and optimiser state live in wasm memory and are copied in and out as plain arrays.
 *
 * Deterministic: the same inputs and seeds give bit-identical results whatever the number of threads (reductions are
 * always summed as the same partials).
 */
export class FusedTrainer {
  readonly plan: NetworkPlan
  readonly batchSize: number
  readonly labelSmoothing: number
  private readonly rt: Runtime
  private readonly blocks: number[] = []
  private readonly params: number
  private readonly grads: number
  private readonly m: number
  private readonly v: number
  private readonly input: number
  private readonly buffers: StageBuffers[] = []
  /**
   * poolFused[i]: maxPool stage i runs fused with the batch norm (+ ReLU) of linear stage i - 1 (bn_act_pool_f32
   * forward, bn_act_pool_grad_f32 backward), see fusesPool.
   */
  private readonly poolFused: boolean[]
  private readonly states: Float32Array
  private readonly scratch = new Map<number, Map<number, number>>()
  private f64View: Float64Array | undefined
  /**
   * Entries [src, dst, rows, cols] (transpose_f32's arguments; in wasm memory for adamw_transpose_f32): the weight
   * transposes (b.wt) the passes read, the dense
   * layers' Wᵀ (forward and input gradient) and the conv layers' (input gradient; not the first layer's, which has
   * none). AdamW makes them with the update (adamw_transpose_f32); after any other change of the weights (the
   * constructor, setWeights) the next forward pass makes them, see weightsTransposed.
   */
  private readonly transposeEntries: KernelArgs<'transpose_f32'>[]
  private readonly transposeTable: number
  /** Whether every b.wt holds the transpose of the current weights. */
  private weightsTransposed = false
  private adamStep = 0
  private disposed = false
  /** The adaptive choice of at most 1 or all threads per kernel; undefined without adaptiveThreads. */
  private readonly tuner: ThreadTuner | undefined

  constructor(network: FusedNetwork, options: FusedTrainerOptions, internals: FusedTrainerInternals = {}) {
    this.plan = planNetwork(network)
    if (!(Number.isSafeInteger(options.batchSize) && options.batchSize >= 1)) {
      throw new FusedInputError('batchSize', 'a positive integer', options.batchSize)
    }
    const ls = options.labelSmoothing ?? 0
    if (!(typeof ls === 'number' && ls >= 0 && ls < 1))
      throw new FusedInputError('labelSmoothing', 'a number in [0, 1)', ls)
    this.batchSize = options.batchSize
    this.labelSmoothing = ls
    this.tuner = (options.adaptiveThreads ?? true) ? new ThreadTuner() : undefined
    const backend = (options.backend ?? engine().registry[SIMD]) as SimdBackend | undefined
    // SimdBackend's brand (its Symbol.hasInstance)
    if (!(backend as { [SHARED_KEY]?: unknown } | undefined)?.[SHARED_KEY]) {
      throw new SimdNotActiveError('FusedTrainer', engine().backendName ?? undefined)
    }
    this.rt = backend!.rt
    const B = this.batchSize
    const p = this.plan
    const inference = internals.inferenceOnly === true
    const optimizer = inference ? 0 : p.paramCount
    this.params = this.alloc(p.paramCount)
    this.grads = this.alloc(optimizer)
    this.m = this.alloc(optimizer)
    this.v = this.alloc(optimizer)
    this.input = this.alloc(B * p.inputSize)
    // inference: the stages write into two buffers in turn (a dropout stage is the identity: its y is its input)
    const turns = inference ? [0, 1].map(() => this.alloc(B * Math.max(...p.stages.map((st) => st.outSize)))) : []
    let lastY = this.input
    this.states = new Float32Array(p.stateCount)
    for (const s of p.states) if (s.name === 'movingVariance') this.states.fill(1, s.offset, s.offset + s.size)
    this.poolFused = p.stages.map((stage, i) => i > 0 && fusesPool(p.stages[i - 1]!, stage))
    p.stages.forEach((stage, i) => {
      const bn = stage.kind === 'linear' && stage.batchNorm !== undefined
      const C = stage.kind === 'linear' ? stage.channels : 0
      const y = !inference
        ? this.poolFused[i + 1]
          ? 0
          : this.alloc(B * stage.outSize)
        : stage.kind === 'dropout'
          ? lastY
          : turns[lastY === turns[0] ? 1 : 0]!
      lastY = y
      const wino = stage.kind === 'linear' && stage.conv !== undefined && usesWinograd(stage.conv, this.rt.build)
      const transforms = wino ? transformFloats(stage.conv!.inChannels, stage.units) : 0
      const buf: StageBuffers = {
        y,
        dy: inference ? 0 : this.alloc(B * stage.outSize),
        z: bn ? this.alloc(B * stage.outSize) : 0,
        mask: stage.kind === 'dropout' && !inference ? this.alloc(Math.ceil((B * stage.outSize) / 4)) : 0,
        geo: 0,
        wt:
          stage.kind === 'linear' && (!stage.conv || (!inference && !wino))
            ? this.alloc(stage.inputs * stage.units)
            : 0,
        u: wino ? this.alloc(transforms) : 0,
        ut: wino && i > 0 && !inference ? this.alloc(transforms) : 0,
        geoT: 0,
        mean: bn ? this.alloc(C) : 0,
        scaleShift: bn ? this.alloc(2 * C) : 0,
        coef: bn ? this.alloc(4 * C) : 0,
        batchMean: new Float32Array(C),
        batchInvStd: new Float32Array(C),
      }
      const info = stage.kind === 'linear' ? stage.conv : stage.kind === 'maxPool' ? stage.pool : undefined
      if (info) {
        buf.geo = this.alloc(GEO_INTS)
        const outChannels = stage.kind === 'maxPool' ? info.inChannels : info.outChannels
        const geo = geometryInts(info, B, outChannels)
        this.rt.heap.i32(buf.geo, GEO_INTS).set(geo)
        if (buf.ut !== 0) {
          buf.geoT = this.alloc(GEO_INTS)
          this.rt.heap.i32(buf.geoT, GEO_INTS).set(transposedGeometry(geo))
        }
      }
      this.buffers.push(buf)
    })
    const dense: KernelArgs<'transpose_f32'>[] = []
    const convs: KernelArgs<'transpose_f32'>[] = []
    p.stages.forEach((stage, i) => {
      if (stage.kind !== 'linear') return
      const entry: KernelArgs<'transpose_f32'> = [
        this.params + stage.kernel.offset * 4,
        this.buffers[i]!.wt,
        stage.inputs,
        stage.units,
      ]
      if (!stage.conv) dense.push(entry)
      else if (i > 0 && !inference && entry[1] !== 0) convs.push(entry)
    })
    this.transposeEntries = [...dense, ...convs]
    this.transposeTable = this.alloc(4 * Math.max(1, this.transposeEntries.length))
    this.rt.heap.i32(this.transposeTable, 4 * this.transposeEntries.length).set(this.transposeEntries.flat())
    // Default initial values (callers normally set their own): zeros, gamma 1.
    const f = this.rt.heap.f32()
    f.fill(0, this.params >> 2, (this.params >> 2) + p.paramCount)
    for (const s of p.params)
      if (s.name === 'gamma') f.fill(1, (this.params >> 2) + s.offset, (this.params >> 2) + s.offset + s.size)
    if (!inference) this.resetOptimizer()
  }

  /** The trainable arrays in order (tfjs-layers `trainableWeights` order: kernel, bias, then gamma, beta). */
  get paramSpecs(): readonly FusedWeightSpec[] {
    return this.plan.params
  }

  /** The batch-norm moving statistics in order (moving mean, moving variance per batch-norm layer). */
  get stateSpecs(): readonly FusedWeightSpec[] {
    return this.plan.states
  }

  /** AdamW updates applied so far. */
  get optimizerStep(): number {
    return this.adamStep
  }

  setWeights(values: readonly Float32Array[]): void {
    this.checkArrays('weights', this.plan.params, values)
    this.writeParamArrays(this.params, values)
    this.weightsTransposed = false
  }

  getWeights(): Float32Array[] {
    return this.readArrays(this.params)
  }

  /** Gradients of the last `lossAndGradients` / `trainStep` call. */
  getGradients(): Float32Array[] {
    return this.readArrays(this.grads)
  }

  setStates(values: readonly Float32Array[]): void {
    this.checkArrays('states', this.plan.states, values)
    this.plan.states.forEach((s, i) => this.states.set(values[i]!, s.offset))
  }

  getStates(): Float32Array[] {
    return this.plan.states.map((s) => this.states.slice(s.offset, s.offset + s.size))
  }

  setOptimizerState(state: FusedOptimizerState): void {
    if (!(Number.isSafeInteger(state.step) && state.step >= 0))
      throw new FusedInputError('optimizer.step', 'a non-negative integer', state.step)
    this.checkArrays('optimizer.m', this.plan.params, state.m)
    this.checkArrays('optimizer.v', this.plan.params, state.v)
    this.writeParamArrays(this.m, state.m)
    this.writeParamArrays(this.v, state.v)
    this.adamStep = state.step
  }

  getOptimizerState(): FusedOptimizerState {
    return { step: this.adamStep, m: this.readArrays(this.m), v: this.readArrays(this.v) }
  }

  /** Zero moments and step count. */
  resetOptimizer(): void {
    const f = this.rt.heap.f32()
    f.fill(0, this.m >> 2, (this.m >> 2) + this.plan.paramCount)
    f.fill(0, this.v >> 2, (this.v >> 2) + this.plan.paramCount)
    this.adamStep = 0
  }

  /**
   * Forward in training mode (batch statistics, dropout; the moving statistics are updated), loss, and backward:
   * the gradients of every parameter are then in wasm memory (read them with getGradients()).
   */
  lossAndGradients(batch: FusedBatch): FusedStepResult {
    const n = this.loadBatch(batch)
    const seed = (batch.dropoutSeed ?? 0) >>> 0
    this.forward(n, true, seed)
    const result = this.loss(n, batch.labels)
    this.backward(n)
    return result
  }

  /** One AdamW update of every parameter with the gradients of the last lossAndGradients call. */
  applyAdamW(h: AdamWHyperParameters): void {
    this.checkAlive()
    this.adamStep += 1
    const t = this.adamStep
    const bc1 = 1 - h.beta1 ** t
    const bc2 = 1 - h.beta2 ** t
    const n = this.plan.paramCount
    // the new weights' transposes with the update (each thread those of its range): b.wt stays current
    this.parallel('adamw_transpose_f32', n, n * 8, (i0, i1) => [
      this.params,
      this.grads,
      this.m,
      this.v,
      h.beta1,
      h.beta2,
      h.epsilon,
      1 - h.learningRate * h.weightDecay,
      h.learningRate / bc1,
      Math.sqrt(bc2),
      i0,
      i1,
      this.transposeTable,
      this.transposeEntries.length,
    ])
  }

  /** lossAndGradients + applyAdamW (and the adaptive thread choice). */
  trainStep(batch: FusedBatch, h: AdamWHyperParameters): FusedStepResult {
    const t0 = performance.now()
    const result = this.lossAndGradients(batch)
    if (Number.isFinite(result.loss)) this.applyAdamW(h)
    if (this.rt.threads > 1) this.tuner?.record(performance.now() - t0)
    return result
  }

  /** Threads the kernels split over right now (1 while one thread is the faster choice). */
  get threadsInUse(): number {
    return Math.min(this.rt.threads, this.tuner?.limit ?? Infinity)
  }

  /**
   * Logits of `count` images in inference mode (moving statistics, no dropout), `batchSize` images per pass.
   * Returns count * classes values.
   */
  predictLogits(images: Float32Array, count: number): Float32Array {
    this.checkAlive()
    const per = this.plan.inputSize
    if (!(Number.isSafeInteger(count) && count >= 0 && images.length >= count * per)) {
      throw new FusedInputError('images', `at least ${count} x ${per} values`, `${images.length} values`)
    }
    const K = this.plan.classes
    const out = new Float32Array(count * K)
    const logits = this.buffers[this.buffers.length - 1]!.y
    for (let start = 0; start < count; start += this.batchSize) {
      const n = Math.min(this.batchSize, count - start)
      this.rt.heap.f32().set(images.subarray(start * per, (start + n) * per), this.input >> 2)
      this.forward(n, false, 0)
      out.set(this.rt.heap.f32().subarray(logits >> 2, (logits >> 2) + n * K), start * K)
    }
    return out
  }

  /** Frees the wasm memory of this trainer. */
  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    for (const b of this.blocks) this.rt.heap.free(b)
    this.blocks.length = 0
  }

  // ---- passes

  private loadBatch(batch: FusedBatch): number {
    this.checkAlive()
    const n = batch.size ?? batch.labels.length
    const per = this.plan.inputSize
    if (!(Number.isSafeInteger(n) && n >= 1 && n <= this.batchSize))
      throw new FusedInputError('size', `an integer in [1, ${this.batchSize}]`, n)
    if (batch.labels.length < n) throw new FusedInputError('labels', `${n} labels`, `${batch.labels.length}`)
    if (batch.images.length < n * per)
      throw new FusedInputError('images', `${n} x ${per} values`, `${batch.images.length} values`)
    for (let k = 0; k < n; k++) {
      const label = batch.labels[k]!
      if (!(Number.isInteger(label) && label >= 0 && label < this.plan.classes)) {
        throw new FusedInputError(`labels[${k}]`, `a class index in [0, ${this.plan.classes - 1}]`, label)
      }
    }
    this.rt.heap.f32().set(batch.images.subarray(0, n * per), this.input >> 2)
    return n
  }

  private forward(n: number, training: boolean, seed: number): void {
    // after the constructor or setWeights only: AdamW keeps the transposes current
    if (!this.weightsTransposed) {
      for (const entry of this.transposeEntries) this.rt.run('transpose_f32', [entry])
      this.weightsTransposed = true
    }
    let x = this.input
    this.plan.stages.forEach((stage, i) => {
      const b = this.buffers[i]!
      if (stage.kind === 'linear')
        this.linearForward(stage, b, x, n, training, this.poolFused[i + 1] ? this.buffers[i + 1] : undefined)
      else if (stage.kind === 'maxPool') {
        // a fused pool's output was written by the linear stage before it (whose y, x here, is not stored)
        if (!this.poolFused[i]) {
          this.setBatch(b.geo, n)
          const rows = n * stage.pool.outHeight * stage.pool.outWidth
          this.parallel('max_pool_f32', rows, n * stage.outSize * 4, (m0, m1) => [x, b.y, b.geo, m0, m1])
        }
      } else if (stage.kind === 'globalAvgPool') {
        const { pixels, channels } = stage
        this.parallel('global_avg_pool_f32', n, n * stage.inSize, (n0, n1) => [x, b.y, pixels, channels, n0, n1])
      } else {
        const total = n * stage.outSize
        if (training) {
          this.parallel(
            'dropout_mask_f32',
            total,
            total * 8,
            (i0, i1) => [x, b.y, b.mask, (seed + i) >>> 0, dropThreshold(stage.rate), 1 / (1 - stage.rate), i0, i1],
            16,
          )
        } else if (b.y !== x) this.parallel('copy_f32', 1, 0, () => [b.y, x, total])
      }
      x = b.y
    })
  }

  /** `pool`: the buffers of the following maxPool stage when it is fused into this one (poolFused). */
  private linearForward(
    s: LinearStage,
    b: StageBuffers,
    x: number,
    n: number,
    training: boolean,
    pool?: StageBuffers,
  ): void {
    const out = s.batchNorm ? b.z : b.y
    this.linearProduct(s, b, x, n, out)
    if (s.batchNorm) this.batchNormForward(s, s.batchNorm, b, n, training, pool)
    else if (s.bias || s.relu) {
      const rows = n * s.rowsPerImage
      const C = s.channels
      const bias = s.bias ? this.params + s.bias.offset * 4 : 0
      this.parallel('bias_act_f32', rows, rows * C * 2, (r0, r1) => [
        b.y,
        bias,
        s.bias ? 1 : 0,
        C,
        s.relu ? RELU : LINEAR,
        0,
        r0,
        r1,
      ])
    }
  }

  /** `out` = x · W of a linear stage: a Winograd or direct convolution, or a dense layer's dot products. */
  private linearProduct(s: LinearStage, b: StageBuffers, x: number, n: number, out: number): void {
    const rows = n * s.rowsPerImage
    const C = s.channels
    const w = this.params + s.kernel.offset * 4
    if (s.conv && b.u !== 0) {
      const Cin = s.conv.inChannels
      // the filters' transforms, from the weights of this step
      this.rt.run('winograd_weights_f32', [[w, b.u, Cin, C, 0]])
      const scratch = convScratch(Cin, C, s.conv.outHeight, s.conv.outWidth)
      this.parallel('winograd_conv_f32', n, 2 * rows * s.inputs * C, (n0, n1, t) => [
        x,
        b.u,
        out,
        b.geo,
        n0,
        n1,
        this.scratchFor(WINO, t, scratch),
        CONV_TILES,
      ])
    } else if (s.conv) {
      this.setBatch(b.geo, n)
      const mb = blockRows(s.inputs)
      this.parallel(
        'conv2d_f32',
        rows,
        2 * rows * s.inputs * C,
        (m0, m1, t) => [x, w, out, b.geo, m0, m1, this.scratchFor(IM2COL, t, mb * s.inputs), mb],
        4,
      )
    } else {
      // y[n, units] = x[n, inputs] · W: dot products of rows of x with rows of Wᵀ (b.wt, made by the last AdamW
      // update or at the start of the forward pass, kept for the input gradient)
      this.parallel('dot_rows_f32', n, 2 * n * s.inputs * C, (m0, m1) => [x, b.wt, out, C, s.inputs, m0, m1], 2)
    }
  }

  /** Batch norm of z (b.z) into y, then the ReLU and, when fused, the max pooling into the pool stage's y. */
  private batchNormForward(
    s: LinearStage,
    bn: NonNullable<LinearStage['batchNorm']>,
    b: StageBuffers,
    n: number,
    training: boolean,
    pool?: StageBuffers,
  ): void {
    const rows = n * s.rowsPerImage
    const C = s.channels
    // a bias before batch norm (useBias with batchNorm) changes only the moving mean, but that it does
    if (s.bias) {
      const bias = this.params + s.bias.offset * 4
      this.parallel('bias_act_f32', rows, rows * C, (r0, r1) => [b.z, bias, 1, C, LINEAR, 0, r0, r1])
    }
    if (training) this.batchStatistics(bn, b, C, rows)
    else {
      for (let c = 0; c < C; c++) {
        b.batchMean[c] = this.states[bn.mean.offset + c]!
        b.batchInvStd[c] = 1 / Math.sqrt(this.states[bn.variance.offset + c]! + bn.epsilon)
      }
    }
    const f = this.rt.heap.f32()
    const p = this.params >> 2
    const ss = b.scaleShift >> 2
    for (let c = 0; c < C; c++) {
      const scale = f[p + bn.gamma.offset + c]! * b.batchInvStd[c]!
      f[ss + c] = scale
      f[ss + C + c] = f[p + bn.beta.offset + c]! - b.batchMean[c]! * scale
    }
    const relu = s.relu ? 1 : 0
    const scale = b.scaleShift
    const shift = b.scaleShift + C * 4
    if (pool) {
      this.setBatch(pool.geo, n)
      const pooled = rows / 4
      this.parallel('bn_act_pool_f32', pooled, rows * C * 4, (m0, m1) => [
        b.z,
        pool.y,
        scale,
        shift,
        pool.geo,
        relu,
        m0,
        m1,
      ])
    } else {
      this.parallel('scale_shift_act_f32', rows, rows * C * 4, (r0, r1) => [b.z, b.y, scale, shift, C, relu, r0, r1])
    }
  }

  /** This batch's mean and inverse standard deviation per channel (b.batchMean / b.batchInvStd), and the moving ones. */
  private batchStatistics(bn: NonNullable<LinearStage['batchNorm']>, b: StageBuffers, C: number, rows: number): void {
    const mean = b.batchMean
    const invStd = b.batchInvStd
    // One pass for both moments, shifted by the moving mean (a checkpointed state, so a resumed run computes
    // exactly what an uninterrupted one does) to keep the variance's precision.
    const f = this.rt.heap.f32()
    for (let c = 0; c < C; c++) f[(b.mean >> 2) + c] = this.states[bn.mean.offset + c]!
    const sums = this.channelSums(b.z, b.mean, C, rows, true)
    for (let c = 0; c < C; c++) {
      const shift = this.states[bn.mean.offset + c]!
      const d = sums[c]! / rows
      mean[c] = shift + d
      const variance = Math.fround(Math.max(0, sums[C + c]! / rows - d * d))
      invStd[c] = 1 / Math.sqrt(variance + bn.epsilon)
      // tfjs-layers: moving -= (moving - batch) * (1 - momentum)
      const decay = Math.fround(1 - bn.momentum)
      const mi = bn.mean.offset + c
      const vi = bn.variance.offset + c
      this.states[mi] = this.states[mi]! - Math.fround(Math.fround(this.states[mi]! - mean[c]!) * decay)
      this.states[vi] = this.states[vi]! - Math.fround(Math.fround(this.states[vi]! - variance) * decay)
    }
  }

  /** Softmax cross-entropy with label smoothing over the logits; writes d(loss)/d(logits) into the last dy. */
  private loss(n: number, labels: ArrayLike<number>): FusedStepResult {
    const K = this.plan.classes
    const last = this.buffers[this.buffers.length - 1]!
    const f = this.rt.heap.f32()
    const lo = last.y >> 2
    const go = last.dy >> 2
    const ls = this.labelSmoothing
    const off = ls / K
    let lossSum = 0
    let correct = 0
    for (let k = 0; k < n; k++) {
      const row = lo + k * K
      let max = f[row]!
      let best = 0
      for (let c = 1; c < K; c++)
        if (f[row + c]! > max) {
          max = f[row + c]!
          best = c
        }
      if (best === labels[k]) correct++
      let sum = 0
      for (let c = 0; c < K; c++) sum += Math.exp(f[row + c]! - max)
      const logSum = Math.log(sum) + max
      for (let c = 0; c < K; c++) {
        const target = (c === labels[k] ? 1 - ls : 0) + off
        const logP = f[row + c]! - logSum
        lossSum -= target * logP
        f[go + k * K + c] = (Math.exp(logP) - target) / n
      }
    }
    return { loss: lossSum / n, correct }
  }

  private backward(n: number): void {
    const stages = this.plan.stages
    for (let i = stages.length - 1; i >= 0; i--) {
      const s = stages[i]!
      const b = this.buffers[i]!
      const x = i === 0 ? this.input : this.buffers[i - 1]!.y
      const dx = i === 0 ? 0 : this.buffers[i - 1]!.dy
      if (s.kind === 'linear') this.linearBackward(s, b, x, dx, n, this.poolFused[i + 1] === true)
      else if (s.kind === 'maxPool') {
        if (dx === 0) continue
        if (this.poolFused[i]) {
          // straight to the batch norm's output gradient dz (pool and ReLU backward) in the linear stage's dy
          const l = stages[i - 1] as LinearStage
          const lb = this.buffers[i - 1]!
          const pooled = n * s.pool.outHeight * s.pool.outWidth
          this.parallel('bn_act_pool_grad_f32', pooled, n * s.inSize * 4, (m0, m1) => [
            lb.z,
            b.dy,
            dx,
            lb.scaleShift,
            lb.scaleShift + l.channels * 4,
            b.geo,
            l.relu ? 1 : 0,
            m0,
            m1,
          ])
        } else this.parallel('max_pool_grad_f32', n, n * s.inSize * 4, (n0, n1) => [b.dy, x, dx, b.geo, n0, n1])
      } else if (s.kind === 'globalAvgPool') {
        if (dx === 0) continue
        const { pixels, channels } = s
        this.parallel('global_avg_pool_grad_f32', n, n * s.inSize, (n0, n1) => [b.dy, dx, pixels, channels, n0, n1])
      } else if (dx !== 0) {
        const total = n * s.outSize
        // the mask that this step's forward pass (dropout_mask_f32) wrote: one byte per element
        this.parallel(
          'dropout_grad_f32',
          total,
          total * 4,
          (i0, i1) => [b.dy, dx, b.mask, 1 / (1 - s.rate), i0, i1],
          16,
        )
      }
    }
  }

  /** `masked`: dy already is dz, the gradient before the ReLU (a fused pool's backward applied its mask). */
  private linearBackward(s: LinearStage, b: StageBuffers, x: number, dx: number, n: number, masked: boolean): void {
    const rows = n * s.rowsPerImage
    const C = s.channels
    // 1. dz (in place in dy): through ReLU and batch norm; their parameter gradients.
    const relu = s.relu && !masked ? 1 : 0
    if (s.batchNorm) this.batchNormBackward(s.batchNorm, b, C, rows, relu)
    else if (s.relu) {
      const total = rows * C
      this.parallel('relu_grad_f32', total, total * 2, (i0, i1) => [b.y, b.dy, i0, i1])
    }
    if (s.bias) {
      const sums = this.channelSums(b.dy, 0, C, rows, false)
      const heap = this.rt.heap.f32()
      for (let c = 0; c < C; c++) heap[(this.grads >> 2) + s.bias.offset + c] = sums[c]!
    }
    // 2. weight gradient; 3. input gradient
    this.weightGradient(s, b, x, n)
    if (dx !== 0) this.inputGradient(s, b, dx, n)
  }

  /** dz in place in b.dy through the ReLU (when `relu`) and batch norm, and the gradients of gamma and beta. */
  private batchNormBackward(
    bn: NonNullable<LinearStage['batchNorm']>,
    b: StageBuffers,
    C: number,
    rows: number,
    relu: number,
  ): void {
    const g = this.grads >> 2
    this.rt.heap.f32().set(b.batchMean, b.mean >> 2)
    const sums = this.bnGradSums(b, C, relu, rows)
    const heap = this.rt.heap.f32()
    const p = this.params >> 2
    const co = b.coef >> 2
    for (let c = 0; c < C; c++) {
      const inv = b.batchInvStd[c]!
      const gamma = heap[p + bn.gamma.offset + c]!
      const s1 = sums[c]!
      const s2 = sums[C + c]!
      heap[g + bn.gamma.offset + c] = s2 * inv
      heap[g + bn.beta.offset + c] = s1
      heap[co + c] = gamma * inv
      heap[co + C + c] = (-gamma * inv * inv * inv * s2) / rows
      heap[co + 2 * C + c] = (-gamma * inv * s1) / rows
      heap[co + 3 * C + c] = b.batchMean[c]!
    }
    // with a ReLU, the mask y > 0 is recomputed from z and scale/shift (y is not read)
    const sc = b.scaleShift,
      sh = b.scaleShift + C * 4
    this.parallel('bn_grad_f32', rows, rows * C * 6, (r0, r1) => [sc, sh, b.dy, b.z, b.dy, b.coef, C, relu, r0, r1])
  }

  /**
   * dW of a linear stage from x and dz (b.dy): a convolution's per-thread partial sums are added in thread order, so
   * the result does not depend on how the work was split.
   */
  private weightGradient(s: LinearStage, b: StageBuffers, x: number, n: number): void {
    const rows = n * s.rowsPerImage
    const C = s.channels
    const K = s.inputs
    const dw = this.grads + s.kernel.offset * 4
    const flops = 2 * rows * K * C
    const partial = (t: number): number => (t === 0 ? dw : this.scratchFor(DW_PART, t, K * C))
    let parts = 1
    if (s.conv && b.u !== 0) {
      const Cin = s.conv.inChannels
      const f4 = filterGradByF4(s.conv)
      const scratch = filterScratch(Cin, C, s.conv.outHeight, s.conv.outWidth, f4)
      parts = this.parallel(
        f4 ? 'winograd4_filter_grad_f32' : 'winograd_filter_grad_f32',
        n,
        flops,
        (n0, n1, t) => [
          x,
          b.dy,
          partial(t),
          b.geo,
          n0,
          n1,
          this.scratchFor(WINO, t, scratch),
          f4 ? FILTER4_TILES : FILTER_TILES,
        ],
        1,
        REDUCTION_PARTS,
      )
    } else if (s.conv) {
      const mb = blockRows(K)
      parts = this.parallel(
        'conv2d_backprop_filter_f32',
        rows,
        flops,
        (m0, m1, t) => [x, b.dy, partial(t), b.geo, m0, m1, this.scratchFor(IM2COL, t, mb * K), mb],
        4,
        REDUCTION_PARTS,
      )
    } else {
      // dWᵀ[units, inputs] = dyᵀ · x, split by inputs, each range transposed into dW by the same call
      const dwt = this.scratchFor(DWT, 0, K * C)
      this.parallel('dense_dw_f32', K, flops, (k0, k1) => [b.dy, x, dwt, dw, C, K, n, k0, k1], 8)
    }
    for (let t = 1; t < parts; t++) this.rt.run('add_into_f32', [[dw, partial(t), K * C]])
  }

  /** dx of a linear stage from dz (b.dy); b.wt is Wᵀ, made with the weights (see weightsTransposed). */
  private inputGradient(s: LinearStage, b: StageBuffers, dx: number, n: number): void {
    const C = s.channels
    const K = s.inputs
    const flops = 2 * n * s.rowsPerImage * K * C
    if (s.conv && b.u !== 0) {
      // the convolution of dy with the filters rotated by 180° (transforms made here: the weights of this step)
      const Cin = s.conv.inChannels
      this.rt.run('winograd_weights_f32', [[this.params + s.kernel.offset * 4, b.ut, Cin, C, 1]])
      const scratch = convScratch(C, Cin, s.conv.inHeight, s.conv.inWidth)
      this.parallel('winograd_conv_f32', n, flops, (n0, n1, t) => [
        b.dy,
        b.ut,
        dx,
        b.geoT,
        n0,
        n1,
        this.scratchFor(WINO, t, scratch),
        CONV_TILES,
      ])
    } else if (s.conv) {
      const mb = blockRows(K)
      this.parallel('conv2d_backprop_input_f32', n, flops, (n0, n1, t) => [
        b.dy,
        b.wt,
        dx,
        b.geo,
        n0,
        n1,
        this.scratchFor(IM2COL, t, mb * K),
        mb,
      ])
    } else {
      // dx[n, inputs] = dy[n, units] · Wᵀ[units, inputs], split by columns of dx
      this.parallel(
        'gemm_f32',
        K,
        flops,
        (k0, k1) => [b.dy, C, 1, b.wt + k0 * 4, K, dx + k0 * 4, K, n, k1 - k0, C, 0],
        8,
      )
    }
  }

  // ---- helpers

  /** Per-channel Σ (x - shift) and, with squares, Σ (x - shift)² after them (f64, the threads' partials added in order). */
  private channelSums(x: number, shift: number, C: number, rows: number, squares: boolean): Float64Array {
    const parts = this.parallel(
      'channel_sums_f32',
      rows,
      rows * C * 2,
      (r0, r1, t) => [x, shift, C, r0, r1, squares ? 1 : 0, this.scratchFor(SUMS, t, 4 * C)],
      1,
      REDUCTION_PARTS,
    )
    return this.addPartials(parts, C, squares ? 2 * C : C)
  }

  private bnGradSums(b: StageBuffers, C: number, relu: number, rows: number): Float64Array {
    const sc = b.scaleShift,
      sh = b.scaleShift + C * 4
    const parts = this.parallel(
      'bn_grad_sums_f32',
      rows,
      rows * C * 4,
      (r0, r1, t) => [sc, sh, b.dy, b.z, b.mean, C, relu, r0, r1, this.scratchFor(SUMS, t, 4 * C)],
      1,
      REDUCTION_PARTS,
    )
    return this.addPartials(parts, C, 2 * C)
  }

  /** Sums the threads' f64 partials (the `sums<t>` scratch blocks of 4·C floats) in thread order. */
  private addPartials(parts: number, C: number, count: number): Float64Array {
    const out = new Float64Array(count)
    const buffer = this.rt.memory.buffer
    // one view of the whole memory (kept until the memory grows) instead of one per partial
    if (this.f64View?.buffer !== buffer) this.f64View = new Float64Array(buffer)
    const view = this.f64View
    for (let t = 0; t < parts; t++) {
      const o = this.scratchFor(SUMS, t, 4 * C) >> 3
      for (let c = 0; c < count; c++) out[c] += view[o + c]!
    }
    return out
  }

  /**
   * Runs `name` over [0, n) split into as many ranges as threads pay off for `flops` of work (at least `align` per
   * range), job t on thread t. Reductions pass `fixedParts`: they are always split into that many ranges (each with its
   * own partial sums, added in order), run in parallel when the threads are there and sequentially otherwise, so the
   * result does not depend on the number of threads. Returns the number of jobs.
   */
  private parallel<K extends KernelName>(
    name: K,
    n: number,
    flops: number,
    args: (start: number, end: number, part: number) => KernelArgs<K>,
    align = 1,
    fixedParts = 0,
  ): number {
    const threads = Math.min(this.rt.threads, this.tuner?.limit ?? Infinity)
    // A quarter of the backend's threshold: between the calls of a step the workers are spinning, not asleep, so
    // a split costs a few microseconds instead of a wake-up.
    const min = this.rt.parallelThreshold / 4
    // Fixed partials run on the threads from a quarter of that: two halves of a small reduction are still done
    // sooner in parallel than one after the other on this thread (the same partials either way)
    const worth = threads > 1 && flops >= (fixedParts > 0 ? min / 4 : min)
    const want =
      fixedParts > 0
        ? fixedParts
        : !worth
          ? 1
          : min === 0
            ? threads
            : Math.min(threads, Math.max(1, Math.floor((2 * flops) / min)))
    const parts = Math.max(1, Math.min(want, Math.floor(n / align)))
    const jobs: KernelArgs<K>[] = []
    let start = 0
    for (let t = 0; t < parts; t++) {
      const end = t === parts - 1 ? n : Math.min(n, Math.round(((t + 1) * n) / parts / align) * align)
      jobs.push(args(start, end, t))
      start = end
    }
    if (jobs.length <= 1 || (worth && jobs.length <= threads)) this.rt.run(name, jobs)
    else for (const job of jobs) this.rt.run(name, [job])
    return jobs.length
  }

  /**
   * A scratch block that lives as long as the trainer (floats): one per kind (IM2COL, SUMS, ...), part or thread t
   * and size. Numeric keys (the calls of a step look up ~100 of them; template-string keys were ~6 µs a step).
   */
  private scratchFor(kind: number, t: number, floats: number): number {
    const k = kind * 1024 + t // t: a part (< REDUCTION_PARTS) or a thread (< 1024)
    let bySize = this.scratch.get(k)
    if (bySize === undefined) {
      bySize = new Map()
      this.scratch.set(k, bySize)
    }
    let p = bySize.get(floats)
    if (p === undefined) {
      p = this.alloc(floats)
      bySize.set(floats, p)
    }
    return p
  }

  private setBatch(geo: number, n: number): void {
    this.rt.heap.i32(geo + GEO_N * 4, 1)[0] = n
  }

  private alloc(floats: number): number {
    const p = this.rt.heap.alloc(Math.max(1, floats) * 4)
    this.blocks.push(p)
    return p
  }

  private readArrays(base: number): Float32Array[] {
    this.checkAlive()
    const f = this.rt.heap.f32()
    return this.plan.params.map((s) => f.slice((base >> 2) + s.offset, (base >> 2) + s.offset + s.size))
  }

  /** Throws (before anything is written) unless `values` has one array of the right size per spec. */
  private checkArrays(what: string, specs: readonly FusedWeightSpec[], values: readonly Float32Array[]): void {
    this.checkAlive()
    if (values.length !== specs.length) throw new FusedInputError(what, `${specs.length} arrays`, `${values.length}`)
    specs.forEach((s, i) => {
      if (values[i]!.length !== s.size)
        throw new FusedInputError(
          `${what}[${i}]`,
          `${s.size} values (${s.name} [${s.shape.join(', ')}] of layers[${s.layer}])`,
          `${values[i]!.length}`,
        )
    })
  }

  /** Copies one array per parameter spec into the flat block at `base` (parameters, or a moment). */
  private writeParamArrays(base: number, values: readonly Float32Array[]): void {
    const f = this.rt.heap.f32()
    this.plan.params.forEach((s, i) => f.set(values[i]!, (base >> 2) + s.offset))
  }

  private checkAlive(): void {
    if (this.disposed) throw new SimdBackendError('SIMD_BACKEND_DISPOSED', 'the fused trainer was disposed')
  }
}

/**
 * Whether maxPool stage `pool` can run fused into linear stage `prev` (bn_act_pool_f32): a batch norm before it
 * (the pool then reads z, which the batch norm keeps anyway) and a 2x2 / stride-2 window tiling an even H and W, so
 * every activation is in exactly one window and none needs to be stored at full resolution.
 */
function fusesPool(prev: Stage, pool: Stage): boolean {
  if (prev.kind !== 'linear' || prev.batchNorm === undefined || prev.conv === undefined || pool.kind !== 'maxPool')
    return false
  const p = pool.pool
  return (
    p.filterHeight === 2 &&
    p.filterWidth === 2 &&
    p.strideHeight === 2 &&
    p.strideWidth === 2 &&
    p.dilationHeight === 1 &&
    p.dilationWidth === 1 &&
    p.padInfo.top === 0 &&
    p.padInfo.left === 0 &&
    p.inHeight === 2 * p.outHeight &&
    p.inWidth === 2 * p.outWidth
  )
}

/** Dropout keeps an element when its 32-bit hash is >= rate * 2^32. */
function dropThreshold(rate: number): number {
  return Math.min(0xffffffff, Math.round(rate * 4294967296)) >>> 0
}
