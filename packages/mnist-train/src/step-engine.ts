import type { AdamWState } from './adamw'
import type { Batch } from './batch'
import type { StepEngineName } from './options'
import type { ScheduleValue } from './schedule'

/** The labels a step engine reads from the batch: class indices only, or one-hot rows as well. */
export type LabelFormat = 'indices' | 'oneHot'

export interface StepOutcome {
  /** Mean loss over the batch; not finite when the step diverged (then no update was applied). */
  loss: number
  /** Images whose highest logit is the label. */
  correct: number
}

/**
 * How the training loop trains: one step (forward, loss, backward, AdamW update) at a time on the model it was
 * created for. It owns the optimiser from then on; the model's variables are current only after `syncModel()`.
 */
export interface StepEngine {
  readonly name: StepEngineName
  /** What the batches must carry (the loop's BatchFiller fills that). */
  readonly labelFormat: LabelFormat
  /**
   * One step on the first `size` examples of `batch`, with the schedule's learning rate (and beta1) for it.
   * `random` is this step's generator: every random draw of the step (dropout masks) comes from it, so a step can be
   * recreated from its index alone (resume is bit-exact).
   */
  step(batch: Batch, size: number, hyper: ScheduleValue, random: () => number): StepOutcome
  /** Brings the model's weights and batch-norm statistics, and the optimiser, up to date (before any read). */
  syncModel(): void
  /** The optimiser state as of the last step (what a checkpoint stores). */
  optimizerState(): AdamWState
  /** Frees the engine's memory and the optimiser (the model stays with the caller). */
  dispose(): void
}
