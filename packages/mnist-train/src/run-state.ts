import type { CheckpointState, EpochSummary, TrainingPosition } from './checkpoint-format'

/** Sums of the epoch in progress: its running loss and accuracy, and the seconds its steps took. */
export interface EpochProgress {
  lossSum: number
  correct: number
  seen: number
  trainSeconds: number
}

/** The part of a checkpoint's `training.json` that changes as the run goes (the rest is fixed at the start). */
export type RunStateFields = Pick<
  CheckpointState,
  'position' | 'epochProgress' | 'history' | 'seconds' | 'testAccuracy' | 'testLoss' | 'startedAt'
>

/**
 * Where a run stands: position, finished epochs, the running sums of the current epoch, the last test metrics and
 * the timing (summed over resumes). The random streams need no state: each is recreated from (seed, stream, index),
 * the index being the step or the epoch of `position`. A checkpoint stores `fields()`; resume starts from them.
 */
export class RunState {
  readonly position: TrainingPosition
  readonly history: EpochSummary[]
  readonly progress: EpochProgress
  testAccuracy: number | undefined
  testLoss: number | undefined
  readonly startedAt: string
  /** Seconds of earlier processes (before the resume). */
  private readonly prior: { train: number; total: number }
  /** This process: seconds of training steps, images and steps trained. */
  trainSeconds = 0
  images = 0
  steps = 0

  /** `processStart`: `performance.now()` when this process started the run (total seconds count from there). */
  constructor(
    private readonly processStart: number,
    saved?: CheckpointState,
  ) {
    this.position = saved ? { ...saved.position } : { epoch: 0, batch: 0, step: 0 }
    this.history = saved ? saved.history.map((h) => ({ ...h })) : []
    this.progress = saved ? { ...saved.epochProgress } : { lossSum: 0, correct: 0, seen: 0, trainSeconds: 0 }
    this.testAccuracy = saved?.testAccuracy
    this.testLoss = saved?.testLoss
    this.startedAt = saved?.startedAt ?? new Date().toISOString()
    this.prior = saved?.seconds ?? { train: 0, total: 0 }
  }

  /** Counts a trained step of `size` images. */
  recordStep(loss: number, correct: number, size: number, seconds: number): void {
    const { progress, position } = this
    progress.lossSum += loss * size
    progress.correct += correct
    progress.seen += size
    position.batch += 1
    position.step += 1
    this.steps += 1
    this.images += size
    this.trainSeconds += seconds
    progress.trainSeconds += seconds
  }

  /** Running loss and accuracy of the current epoch, or of the last finished one between epochs. */
  running(): { loss: number; accuracy: number } {
    const { progress } = this
    if (progress.seen > 0) return { loss: progress.lossSum / progress.seen, accuracy: progress.correct / progress.seen }
    const last = this.history[this.history.length - 1]
    return { loss: last?.trainLoss ?? 0, accuracy: last?.trainAccuracy ?? 0 }
  }

  /** Closes the epoch with its test metrics: appends and returns its summary, moves to the next epoch. */
  finishEpoch(test: { loss: number; accuracy: number }, evalSeconds: number): EpochSummary {
    const { progress, position } = this
    const summary: EpochSummary = {
      epoch: position.epoch + 1,
      trainLoss: progress.lossSum / progress.seen,
      trainAccuracy: progress.correct / progress.seen,
      testLoss: test.loss,
      testAccuracy: test.accuracy,
      trainSeconds: progress.trainSeconds,
      evalSeconds,
    }
    this.history.push(summary)
    this.testAccuracy = test.accuracy
    this.testLoss = test.loss
    position.epoch += 1
    position.batch = 0
    Object.assign(progress, { lossSum: 0, correct: 0, seen: 0, trainSeconds: 0 })
    return summary
  }

  /** Seconds of training steps and of the whole run, summed over resumes. */
  seconds(): { train: number; total: number } {
    return {
      train: this.prior.train + this.trainSeconds,
      total: this.prior.total + (performance.now() - this.processStart) / 1000,
    }
  }

  /** Copies of the fields a checkpoint stores, in `training.json`'s order. */
  fields(): RunStateFields {
    return {
      position: { ...this.position },
      epochProgress: { ...this.progress },
      history: this.history.map((h) => ({ ...h })),
      seconds: this.seconds(),
      ...(this.testAccuracy !== undefined ? { testAccuracy: this.testAccuracy, testLoss: this.testLoss } : {}),
      startedAt: this.startedAt,
    }
  }
}
