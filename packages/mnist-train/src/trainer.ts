import path from 'node:path'
import type { Variable } from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { countParams, createModel, loadModel, PARAM_BUDGET } from '@mnist/model'
import { AdamW } from './adamw'
import { selectBackend } from '@mnist/backends'
import type { LoadedCheckpoint } from './checkpoint'
import { chooseStepEngine, type EngineChoice } from './choose-engine'
import type { TrainConfig } from './config'
import { TrainingLoop } from './loop'
import type { TrainOptions, TrainResult } from './options'
import { RunCheckpoints, type RunFacts } from './run-checkpoints'
import { loadRunData } from './run-data'
import { defaultOutDir } from './run-dir'
import { RunState } from './run-state'
import { openResume, runConfig } from './resume'
import type { BatchShape } from './tfjs-engine'
import { STREAM, streamRng, withSeededMathRandom } from './_random'

/**
 * Train (or resume) the @mnist/model CNN: select the backend, load the data, run the one-cycle AdamW loop with the
 * test-set evaluation after each epoch, checkpoint each epoch (and on abort), return the metrics. Deterministic: the
 * same config, seed and backend give bit-identical weights on the same machine, also across an interrupt + resume.
 */
export async function train(options: TrainOptions = {}): Promise<TrainResult> {
  const processStart = performance.now()
  const resumed = await openResume(options.resume)
  const config = runConfig(options.config, resumed)
  const selection = await selectBackend(options.backend ?? 'auto', {
    threads: options.threads,
    allowSoftwareWebGpu: options.allowSoftwareWebGpu,
  })
  options.onBackend?.(selection)
  const data = await loadRunData(options, resumed)
  const model = resumed ? (await loadModel(options.resume!)).model : createSeededModel(config)
  let keepModel = false
  let choice: EngineChoice | undefined
  try {
    const classes = (model.outputs[0]!.shape[1] as number | null) ?? 10
    choice = setUpEngine(model, config, { ...data.train, classes }, resumed, options.fusedStep)
    const batchesPerEpoch = Math.ceil(data.trainCount / config.batchSize)
    const facts: RunFacts = {
      config,
      selection,
      data,
      classes,
      batchesPerEpoch,
      totalSteps: batchesPerEpoch * config.epochs,
      params: countParams(model),
      stepEngine: choice.engine.name,
      resumedFrom: options.resume,
    }
    const outDir =
      options.outDir ?? (options.resume !== undefined ? path.dirname(path.resolve(options.resume)) : defaultOutDir())
    const checkpoints = new RunCheckpoints(outDir, selection.backend, options.save ?? true)
    const run = new RunState(processStart, resumed?.state)
    reportStart(options, facts, choice.reason, checkpoints.dir, run)

    const result = await new TrainingLoop({ options, facts, model, engine: choice.engine, run, checkpoints }).train()
    if (options.keepModel) {
      choice.engine.syncModel()
      result.model = model
      keepModel = true
    }
    return result
  } finally {
    choice?.engine.dispose()
    if (!keepModel) model.dispose()
  }
}

/** A fresh model; its initialisers draw from the run's ops stream (index -1: before the first step). */
function createSeededModel(config: TrainConfig): LayersModel {
  return withSeededMathRandom(streamRng(config.seed, STREAM.ops, -1), () =>
    createModel({ ...config.model, seed: config.seed }),
  )
}

/** The optimiser (restored when resuming) and the step engine that owns it from then on. */
function setUpEngine(
  model: LayersModel,
  config: TrainConfig,
  shape: BatchShape,
  resumed: LoadedCheckpoint | undefined,
  fusedStep: boolean | undefined,
): EngineChoice {
  const optimizer = new AdamW(
    model.trainableWeights.map((w) => w.read() as Variable),
    {
      learningRate: config.maxLr / config.divFactor,
      beta1: config.cycleMomentum ? config.maxMomentum : config.beta1,
      beta2: config.beta2,
      epsilon: config.epsilon,
      weightDecay: config.weightDecay,
    },
  )
  try {
    if (resumed) optimizer.setState(resumed.optimizer)
    return chooseStepEngine({
      model,
      optimizer,
      batchSize: config.batchSize,
      labelSmoothing: config.labelSmoothing,
      shape,
      fusedStep,
    })
  } catch (e) {
    optimizer.dispose()
    throw e
  }
}

function reportStart(
  options: TrainOptions,
  facts: RunFacts,
  reason: string | undefined,
  runDir: string | undefined,
  run: RunState,
): void {
  const { selection, data } = facts
  options.onStart?.({
    backend: selection.backend,
    device: selection.device,
    stepEngine: facts.stepEngine,
    stepEngineReason: reason,
    skipped: selection.skipped,
    params: facts.params,
    budget: PARAM_BUDGET,
    config: facts.config,
    dataset: data.dataset,
    dataSource: data.source,
    trainImages: data.trainCount,
    testImages: data.testCount,
    batchesPerEpoch: facts.batchesPerEpoch,
    totalSteps: facts.totalSteps,
    runDir,
    position: { ...run.position },
    resumedFrom: options.resume,
  })
}
