import type { LayersModel } from '@tensorflow/tfjs-layers'
import { shuffledIndices } from '@mnist/data/stats'
import { evaluate } from '@mnist/eval'
import { BatchFiller } from './batch'
import { NonFiniteLossError, TrainAbortedError } from './errors'
import type { TrainOptions, TrainResult } from './options'
import type { RunCheckpoints, RunFacts } from './run-checkpoints'
import type { RunState } from './run-state'
import { oneCycle, type OneCycleOptions } from './schedule'
import type { StepEngine } from './step-engine'
import { STREAM, streamNormalRng, streamRng } from './_random'
import { yieldToEventLoop } from './yield'

/** What the loop works with; `train()` sets it up. */
export interface LoopParts {
  options: TrainOptions
  facts: RunFacts
  model: LayersModel
  engine: StepEngine
  run: RunState
  checkpoints: RunCheckpoints
}

/**
 * The training loop: epochs of shuffled batches, each step with its one-cycle learning rate and its own random
 * streams (augmentation, dropout) derived from (seed, step), so a resumed run continues bit for bit; after each epoch
 * the test-set evaluation and a checkpoint. An abort stops before the next step with a resumable checkpoint.
 */
export class TrainingLoop {
  private readonly filler: BatchFiller
  private readonly schedule: OneCycleOptions
  private lastYield = performance.now()

  constructor(private readonly parts: LoopParts) {
    const { config, data, classes, totalSteps } = parts.facts
    this.filler = new BatchFiller(data.train, config.batchSize, data.normalization, classes, parts.engine.labelFormat)
    this.schedule = { ...pickSchedule(config), totalSteps }
  }

  async train(): Promise<TrainResult> {
    const { options, facts, run } = this.parts
    const { position } = run
    while (position.epoch < facts.config.epochs) {
      const order = epochOrder(facts.config.seed, position.epoch, facts.data.trainCount)
      while (position.batch < facts.batchesPerEpoch) {
        if (options.signal?.aborted) {
          // Stopped before a new run trained anything (during data loading): an untrained checkpoint is no use.
          if (position.step === 0 && facts.resumedFrom === undefined) throw new TrainAbortedError()
          await this.checkpoint(false)
          return this.result(true)
        }
        this.step(order)
        await this.yieldSometimes()
      }
      await this.endEpoch()
    }
    return this.result(false)
  }

  /** One batch: fill it (in plain JS), train on it, count it. */
  private step(order: Uint32Array): void {
    const { facts, engine, run } = this.parts
    const { config, data } = facts
    const { position } = run
    const stepStart = performance.now()
    const start = position.batch * config.batchSize
    const size = Math.min(config.batchSize, data.trainCount - start)
    const augment = config.augment
      ? {
          random: streamRng(config.seed, STREAM.augment, position.step),
          ranges: config.augmentation,
          noise: config.augmentation.noise > 0 ? streamNormalRng(config.seed, STREAM.noise, position.step) : undefined,
        }
      : undefined
    this.filler.fill(order, start, size, augment)
    const hyper = oneCycle(position.step, this.schedule)
    const { loss, correct } = engine.step(
      this.filler.batch,
      size,
      hyper,
      streamRng(config.seed, STREAM.ops, position.step),
    )
    if (!Number.isFinite(loss))
      throw new NonFiniteLossError(position.step + 1, position.epoch + 1, position.batch + 1, loss)
    run.recordStep(loss, correct, size, (performance.now() - stepStart) / 1000)
    this.reportProgress(hyper.learningRate)
  }

  private reportProgress(learningRate: number): void {
    const { options, facts, run } = this.parts
    if (!options.onProgress) return
    const { position } = run
    const { loss, accuracy } = run.running()
    options.onProgress({
      epoch: position.epoch + 1,
      epochs: facts.config.epochs,
      batch: position.batch,
      batches: facts.batchesPerEpoch,
      step: position.step,
      totalSteps: facts.totalSteps,
      loss,
      accuracy,
      learningRate,
      imagesPerSecond: run.images / run.trainSeconds,
      etaSeconds: (run.trainSeconds / run.steps) * (facts.totalSteps - position.step),
      elapsedSeconds: run.trainSeconds,
    })
  }

  /**
   * Lets signal handlers (Ctrl-C, a worker's abort message) and progress output run between steps: every 10 ms, not
   * every step (a fused step takes ~3 ms and a turn of the event loop costs a noticeable part of that).
   */
  private async yieldSometimes(): Promise<void> {
    if (performance.now() - this.lastYield < 10) return
    await yieldToEventLoop()
    this.lastYield = performance.now()
  }

  /** Evaluates on the test set, closes the epoch, checkpoints, then reports the epoch. */
  private async endEpoch(): Promise<void> {
    const { options, facts, model, engine, run } = this.parts
    options.onEvaluate?.({ epoch: run.position.epoch + 1, images: facts.data.testCount })
    const evalStart = performance.now()
    engine.syncModel()
    const evaluation = await evaluate(model, facts.data.test, {
      batchSize: facts.config.evalBatchSize,
      normalization: facts.data.normalization,
      limit: facts.data.testCount,
    })
    const summary = run.finishEpoch(evaluation, (performance.now() - evalStart) / 1000)
    // Saved before it is reported: a caller that stops while reporting (a closed pipe, a signal) keeps the epoch.
    await this.checkpoint(run.position.epoch >= facts.config.epochs)
    options.onEpochEnd?.(summary)
  }

  private async checkpoint(complete: boolean): Promise<void> {
    const { model, engine, facts, run, checkpoints } = this.parts
    await checkpoints.write(complete, model, engine, facts, run)
  }

  private result(interrupted: boolean): TrainResult {
    const { facts, run, checkpoints } = this.parts
    const { config, selection } = facts
    const saved = checkpoints.saves > 0 ? checkpoints.dir : undefined
    const seconds = run.seconds()
    const { loss, accuracy } = run.running()
    return {
      interrupted,
      checkpointDir: saved,
      modelDir: interrupted ? undefined : saved,
      backend: selection.backend,
      device: selection.device,
      stepEngine: facts.stepEngine,
      skipped: selection.skipped,
      params: facts.params,
      epochs: config.epochs,
      epochsCompleted: run.history.length,
      step: run.position.step,
      totalSteps: facts.totalSteps,
      testAccuracy: run.testAccuracy,
      testLoss: run.testLoss,
      trainAccuracy: accuracy,
      trainLoss: loss,
      seconds: seconds.total,
      trainSeconds: seconds.train,
      imagesPerSecond: run.trainSeconds > 0 ? run.images / run.trainSeconds : 0,
      history: run.history,
      config,
    }
  }
}

/** The epoch's shuffle: shuffledIndices takes a safe integer, derived as a 31-bit one per (seed, epoch). */
function epochOrder(seed: number, epoch: number, count: number): Uint32Array {
  return shuffledIndices(count, Math.floor(streamRng(seed, STREAM.shuffle, epoch)() * 2147483648))
}

function pickSchedule(config: RunFacts['config']): Omit<OneCycleOptions, 'totalSteps'> {
  const { maxLr, pctStart, divFactor, finalDivFactor, annealStrategy, cycleMomentum, baseMomentum, maxMomentum } =
    config
  return { maxLr, pctStart, divFactor, finalDivFactor, annealStrategy, cycleMomentum, baseMomentum, maxMomentum }
}
