import * as tf from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import {
  FusedNetworkError,
  FusedTrainer,
  fusedNetworkFromSpec,
  SimdBackend,
  type FusedModelSpec,
  type FusedWeightSpec,
} from '@mnist/backend-simd'
import type { AdamW, AdamWState } from './adamw'
import type { Batch } from './batch'
import type { ScheduleValue } from './schedule'
import type { LabelFormat, StepEngine, StepOutcome } from './step-engine'

/** What the fused engine needs besides the model. */
export interface FusedEngineInput {
  /** The active backend (see activeSimdBackend): the fused trainer runs in its wasm memory and threads. */
  backend: SimdBackend
  model: LayersModel
  /** The declarative description the model was built from (`createModel(spec)`). */
  spec: FusedModelSpec
  optimizer: AdamW
  batchSize: number
  labelSmoothing: number
}

/** The active tfjs backend when it can run the fused step (@mnist/backend-simd's), else undefined. */
export function activeSimdBackend(): SimdBackend | undefined {
  const backend = tf.backend()
  return backend instanceof SimdBackend ? backend : undefined
}

/**
 * A step on @mnist/backend-simd's FusedTrainer: a few fused WebAssembly passes per layer instead of tfjs ops. The
 * weights, batch-norm statistics and AdamW moments live in wasm memory: they are copied in from the model and the
 * optimiser at creation and copied back by `syncModel`.
 */
export class FusedStepEngine implements StepEngine {
  readonly name = 'fused'
  /** The fused loss takes class indices. */
  readonly labelFormat: LabelFormat = 'indices'
  /** Steps were trained since the last syncModel (evaluation and the checkpoint right after it share one copy). */
  private dirty = false

  private constructor(
    private readonly trainer: FusedTrainer,
    private readonly optimizer: AdamW,
    private readonly params: tf.Variable[],
    private readonly states: tf.Variable[],
  ) {
    trainer.setWeights(params.map((v) => v.dataSync() as Float32Array))
    trainer.setStates(states.map((v) => v.dataSync() as Float32Array))
    const state = optimizer.getState()
    trainer.setOptimizerState({ step: state.step, m: state.slots.map((s) => s.m), v: state.slots.map((s) => s.v) })
  }

  /**
   * The engine for `input.model`, or the reason it cannot run it: a layer the fused trainer does not run, or weights
   * that are not those of `createModel(spec)`.
   */
  static create(input: FusedEngineInput): { engine: FusedStepEngine } | { reason: string } {
    let trainer: FusedTrainer
    try {
      trainer = new FusedTrainer(fusedNetworkFromSpec(input.spec), {
        batchSize: input.batchSize,
        labelSmoothing: input.labelSmoothing,
        backend: input.backend,
      })
    } catch (e) {
      if (e instanceof FusedNetworkError) return { reason: e.message }
      throw e
    }
    try {
      // The spec defines the weight order (createModel adds the layers in spec order); the shapes confirm the match.
      const params = matchWeights(input.model.trainableWeights, trainer.paramSpecs)
      const states = matchWeights(input.model.nonTrainableWeights, trainer.stateSpecs)
      if (params === undefined || states === undefined) {
        trainer.dispose()
        return { reason: 'the model’s weights do not match its config (not built by createModel from it)' }
      }
      return { engine: new FusedStepEngine(trainer, input.optimizer, params, states) }
    } catch (e) {
      // The engine never took ownership of the trainer (its wasm memory): free it here.
      trainer.dispose()
      throw e
    }
  }

  step(batch: Batch, size: number, hyper: ScheduleValue, random: () => number): StepOutcome {
    const o = this.optimizer
    o.learningRate = hyper.learningRate
    if (hyper.beta1 !== undefined) o.beta1 = hyper.beta1
    this.dirty = true
    // The dropout seed is the step generator's first draw.
    const dropoutSeed = Math.floor(random() * 4294967296)
    return this.trainer.trainStep(
      { images: batch.images, labels: batch.labels, size, dropoutSeed },
      { learningRate: o.learningRate, beta1: o.beta1, beta2: o.beta2, epsilon: o.epsilon, weightDecay: o.weightDecay },
    )
  }

  syncModel(): void {
    if (!this.dirty) return
    this.dirty = false
    assign(this.params, this.trainer.getWeights())
    assign(this.states, this.trainer.getStates())
    const state = this.trainer.getOptimizerState()
    const current = this.optimizer.getState()
    this.optimizer.setState({
      step: state.step,
      slots: current.slots.map((slot, i) => ({ ...slot, m: state.m[i]!, v: state.v[i]! })),
    })
  }

  optimizerState(): AdamWState {
    this.syncModel()
    return this.optimizer.getState()
  }

  dispose(): void {
    this.trainer.dispose()
    this.optimizer.dispose()
  }
}

/** The model's variables for the fused arrays, in order, when every shape matches. */
function matchWeights(
  weights: readonly { shape: readonly (number | null)[]; read(): tf.Tensor }[],
  specs: readonly FusedWeightSpec[],
): tf.Variable[] | undefined {
  if (weights.length !== specs.length) return undefined
  const same = specs.every((s, i) => {
    const shape = weights[i]!.shape
    return shape.length === s.shape.length && shape.every((d, k) => d === s.shape[k])
  })
  return same ? weights.map((w) => w.read() as tf.Variable) : undefined
}

function assign(vars: tf.Variable[], values: Float32Array[]): void {
  vars.forEach((v, i) => {
    const t = tf.tensor(values[i]!, v.shape, 'float32')
    v.assign(t)
    t.dispose()
  })
}
