import * as tf from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import type { AdamW, AdamWState } from './adamw'
import type { Batch } from './batch'
import type { ScheduleValue } from './schedule'
import type { LabelFormat, StepEngine, StepOutcome } from './step-engine'
import { withSeededMathRandom } from './_random'

/** The image size and class count of the batches. */
export interface BatchShape {
  rows: number
  cols: number
  classes: number
}

/** A step with tfjs ops and autodiff: runs on every backend and every model. */
export class TfjsStepEngine implements StepEngine {
  readonly name = 'tfjs'
  readonly labelFormat: LabelFormat = 'oneHot'
  private readonly variables: tf.Variable[]

  constructor(
    private readonly model: LayersModel,
    private readonly optimizer: AdamW,
    private readonly shape: BatchShape,
    private readonly labelSmoothing: number,
  ) {
    this.variables = model.trainableWeights.map((w) => w.read() as tf.Variable)
  }

  /** tfjs's random ops (dropout) draw their seeds from `Math.random`, here the step's generator. */
  step(batch: Batch, size: number, hyper: ScheduleValue, random: () => number): StepOutcome {
    this.optimizer.learningRate = hyper.learningRate
    if (hyper.beta1 !== undefined) this.optimizer.beta1 = hyper.beta1
    let outcome: StepOutcome | undefined
    withSeededMathRandom(random, () =>
      tf.tidy(() => {
        outcome = this.forwardBackwardUpdate(batch, size)
      }),
    )
    return outcome!
  }

  private forwardBackwardUpdate(batch: Batch, size: number): StepOutcome {
    const { rows, cols, classes } = this.shape
    const x = tf.tensor4d(batch.images.subarray(0, size * rows * cols), [size, rows, cols, 1])
    const y = tf.tensor2d(batch.oneHot!.subarray(0, size * classes), [size, classes])
    let logits: tf.Tensor | undefined
    const { value, grads } = tf.variableGrads(() => {
      const out = this.model.apply(x, { training: true }) as tf.Tensor
      logits = tf.keep(out)
      return tf.losses.softmaxCrossEntropy(y, out, undefined, this.labelSmoothing) as tf.Scalar
    }, this.variables)
    const loss = value.dataSync()[0]!
    const scores = logits!.dataSync()
    logits!.dispose()
    if (!Number.isFinite(loss)) return { loss, correct: 0 }
    this.optimizer.applyGradients(grads)
    return { loss, correct: countCorrect(scores, batch.labels, size, classes) }
  }

  /** The model's variables are the trained ones. */
  syncModel(): void {}

  optimizerState(): AdamWState {
    return this.optimizer.getState()
  }

  dispose(): void {
    this.optimizer.dispose()
  }
}

function countCorrect(scores: ArrayLike<number>, labels: Uint8Array, size: number, classes: number): number {
  let right = 0
  for (let k = 0; k < size; k++) {
    let best = 0
    for (let c = 1; c < classes; c++) if (scores[k * classes + c]! > scores[k * classes + best]!) best = c
    if (best === labels[k]) right++
  }
  return right
}
