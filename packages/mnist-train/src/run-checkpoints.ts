import type { LayersModel } from '@tensorflow/tfjs-layers'
import { createMetadata, getModelConfig, type ModelMetadata } from '@mnist/model'
import type { AdamWState } from './adamw'
import type { BackendSelection } from '@mnist/backends'
import { CHECKPOINT_FORMAT, type CheckpointState } from './checkpoint-format'
import type { TrainConfig } from './config'
import type { StepEngineName } from './options'
import type { RunData } from './run-data'
import type { RunState } from './run-state'
import type { StepEngine } from './step-engine'
import type { CheckpointStore } from './checkpoint-store'

/** What stays fixed for a whole run (a checkpoint stores it beside the RunState). */
export interface RunFacts {
  config: TrainConfig
  selection: BackendSelection
  data: RunData
  /** Classes of the model's output. */
  classes: number
  batchesPerEpoch: number
  totalSteps: number
  params: number
  stepEngine: StepEngineName
  /** The checkpoint this run continues, as given (a folder, or the store's location). */
  resumedFrom: string | undefined
  /** The same as recorded in the checkpoints this run writes (a folder: its absolute path). */
  resumedFromRecorded: string | undefined
  /** `TrainOptions.threads` as given (recorded so that a resume uses the same). */
  threads: number | undefined
  /** `TrainOptions.metadataExtra`: written into the saved model's `metadata.extra`. */
  metadataExtra?: Record<string, unknown>
}

/**
 * The run's checkpoints: model + metadata, optimiser moments and `training.json`, saved into the run's store at each
 * save (in Node by default a run folder, created by `createRunDir` at the start and written by the commit protocol of
 * checkpoint-commit.ts).
 */
export class RunCheckpoints {
  saves = 0

  /** `store`: where checkpoints go, undefined when not saving. */
  constructor(readonly store: CheckpointStore | undefined) {}

  /** The store's location (the run folder in Node), undefined when not saving. */
  get dir(): string | undefined {
    return this.store?.location
  }

  /** Saves the model as `engine` trained it (synced first) with the run's state. Nothing when not saving. */
  async write(
    complete: boolean,
    model: LayersModel,
    engine: StepEngine,
    facts: RunFacts,
    run: RunState,
  ): Promise<void> {
    if (this.store === undefined) return
    engine.syncModel()
    const optimizer = engine.optimizerState()
    const state = checkpointState(facts, run, optimizer, complete)
    const metadata = checkpointMetadata(model, facts, state)
    await this.store.save({ model, metadata, state, optimizer })
    this.saves++
  }
}

function checkpointState(facts: RunFacts, run: RunState, optimizer: AdamWState, complete: boolean): CheckpointState {
  const { config, selection, data } = facts
  const { position, epochProgress, history, seconds, testAccuracy, testLoss, startedAt } = run.fields()
  return {
    format: CHECKPOINT_FORMAT,
    complete,
    backend: selection.backend,
    tfBackend: selection.tfBackend,
    device: selection.device,
    config,
    dataset: data.dataset,
    trainCount: data.trainCount,
    testCount: data.testCount,
    ...(data.validation > 0 ? { validation: data.validation } : {}),
    dataFingerprint: data.fingerprint,
    batchesPerEpoch: facts.batchesPerEpoch,
    totalSteps: facts.totalSteps,
    position,
    epochProgress,
    history,
    params: facts.params,
    seconds,
    ...(testAccuracy !== undefined ? { testAccuracy, testLoss } : {}),
    optimizer: { step: optimizer.step, slots: optimizer.slots.map((s) => ({ name: s.name, shape: s.shape })) },
    startedAt,
    savedAt: new Date().toISOString(),
    ...(facts.resumedFromRecorded !== undefined ? { resumedFrom: facts.resumedFromRecorded } : {}),
    threads: facts.threads ?? null,
    stepEngine: facts.stepEngine,
  }
}

function checkpointMetadata(model: LayersModel, facts: RunFacts, state: CheckpointState): ModelMetadata {
  const { config, selection, data } = facts
  return createMetadata(model, {
    dataset: data.dataset,
    epochs: state.history.length,
    // Held-out training images are not the test set: their accuracy goes to extra, not to testAccuracy.
    ...(state.testAccuracy !== undefined && data.validation === 0
      ? { testAccuracy: state.testAccuracy, testLoss: state.testLoss }
      : {}),
    backend: selection.backend,
    device: selection.device,
    seed: config.seed,
    trainSeconds: state.seconds.train,
    trainingConfig: trainingConfigForMetadata(config),
    modelConfig: getModelConfig(model) ?? config.model,
    normalization: data.normalization,
    extra: {
      ...facts.metadataExtra,
      complete: state.complete,
      position: state.position,
      trainImages: data.trainCount,
      testImages: data.testCount,
      stepEngine: facts.stepEngine,
      ...(data.validation > 0
        ? { validationImages: data.validation, validationAccuracy: state.testAccuracy, validationLoss: state.testLoss }
        : {}),
    },
  })
}

function trainingConfigForMetadata(config: TrainConfig): Record<string, unknown> {
  const { model: _model, ...rest } = config
  return { optimizer: 'AdamW', schedule: 'one-cycle', ...rest }
}
