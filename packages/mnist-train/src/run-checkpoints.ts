import path from 'node:path'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { createMetadata, getModelConfig, type ModelMetadata } from '@mnist/model'
import type { AdamWState } from './adamw'
import type { BackendSelection } from '@mnist/backends'
import { CHECKPOINT_FORMAT, writeCheckpoint, type CheckpointState } from './checkpoint'
import type { TrainConfig } from './config'
import type { StepEngineName } from './options'
import type { RunData } from './run-data'
import { uniqueRunDir } from './run-dir'
import type { RunState } from './run-state'
import type { StepEngine } from './step-engine'

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
  /** The checkpoint folder this run continues. */
  resumedFrom: string | undefined
}

/**
 * The run folder `<outDir>/<timestamp>-<backend>/` and its checkpoints: model + metadata, optimiser moments and
 * `training.json`, replaced atomically at each write.
 */
export class RunCheckpoints {
  /** Undefined when not saving. */
  dir: string | undefined
  saves = 0

  constructor(private readonly outDir: string, private readonly backend: string, save: boolean) {
    this.dir = save ? uniqueRunDir(outDir, backend, new Date()) : undefined
  }

  /** Writes the model as `engine` trained it (synced first) with the run's state. Nothing when not saving. */
  async write(
    complete: boolean,
    model: LayersModel,
    engine: StepEngine,
    facts: RunFacts,
    run: RunState,
  ): Promise<void> {
    if (this.dir === undefined) return
    // First write of this run: never replace a folder someone else wrote since we picked the name.
    if (this.saves === 0) this.dir = uniqueRunDir(this.outDir, this.backend, new Date(), this.dir)
    engine.syncModel()
    const optimizer = engine.optimizerState()
    const state = checkpointState(facts, run, optimizer, complete)
    const metadata = checkpointMetadata(model, facts, state)
    await writeCheckpoint(this.dir, { model, metadata, state, optimizer })
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
    ...(facts.resumedFrom !== undefined ? { resumedFrom: path.resolve(facts.resumedFrom) } : {}),
  }
}

function checkpointMetadata(model: LayersModel, facts: RunFacts, state: CheckpointState): ModelMetadata {
  const { config, selection, data } = facts
  return createMetadata(model, {
    dataset: data.dataset,
    epochs: state.history.length,
    ...(state.testAccuracy !== undefined ? { testAccuracy: state.testAccuracy, testLoss: state.testLoss } : {}),
    backend: selection.backend,
    device: selection.device,
    seed: config.seed,
    trainSeconds: state.seconds.train,
    trainingConfig: trainingConfigForMetadata(config),
    modelConfig: getModelConfig(model) ?? config.model,
    normalization: data.normalization,
    extra: {
      complete: state.complete,
      position: state.position,
      trainImages: data.trainCount,
      testImages: data.testCount,
      stepEngine: facts.stepEngine,
    },
  })
}

function trainingConfigForMetadata(config: TrainConfig): Record<string, unknown> {
  const { model: _model, ...rest } = config
  return { optimizer: 'AdamW', schedule: 'one-cycle', ...rest }
}
