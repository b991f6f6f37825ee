import type { Variable } from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { countParams, createModel, PARAM_BUDGET } from '@mnist/model'
import { BackendUnavailableError, selectBackend, type BackendSelection } from '@mnist/backends'
import { AdamW } from './adamw'
import type { LoadedCheckpoint } from './checkpoint-format'
import { chooseStepEngine, type EngineChoice } from './choose-engine'
import type { TrainConfig } from './config'
import { BatchTooLargeError, ResumeBackendError } from './errors'
import { TrainingLoop } from './loop'
import type { TrainOptions, TrainResult } from './options'
import type { TrainPlatform } from './platform'
import { RunCheckpoints, type RunFacts } from './run-checkpoints'
import { checkRunData, loadRunData } from './run-data'
import { RunState } from './run-state'
import {
  givenConfig,
  openResume,
  runConfig,
  runSettings,
  stepEngineWarning,
  type ResumePoint,
  type RunSettings,
} from './resume'
import type { BatchShape } from './tfjs-engine'
import { STREAM, streamRng, withSeededMathRandom } from './_random'

/**
 * Train (or resume) the @mnist/model CNN: select the backend, open the checkpoint store, load the data, run the
 * one-cycle AdamW loop with the test-set evaluation after each epoch, checkpoint each epoch (and on abort), return
 * the metrics. Deterministic: the same config, seed and backend give bit-identical weights on the same machine, also
 * across an interrupt + resume (which continues on the backend and step engine the checkpoint recorded). The same in
 * every runtime; `platform` supplies what differs (data loading, run folders).
 */
export async function runTraining(options: TrainOptions, platform: TrainPlatform): Promise<TrainResult> {
  const processStart = performance.now()
  const resume = await openResume(options.resume, platform)
  const resumed = resume?.checkpoint
  const config = runConfig(givenConfig(options), resumed, resume?.name, options.preset)
  const settings = runSettings(options, resumed)
  const selection = await selectRunBackend(options, settings, resume?.name)
  options.onBackend?.(selection)
  // Opened now (in Node: the run folder, created exclusively): an unusable outDir fails at once.
  const save = options.save ?? true
  const target = !save
    ? undefined
    : options.checkpoints !== undefined
      ? { store: options.checkpoints, close: async () => undefined }
      : await platform.runStore(options, selection.backend)
  const checkpoints = new RunCheckpoints(target?.store)
  try {
    return await trainWith({ options, platform, processStart, resume, config, settings, selection, checkpoints })
  } finally {
    await target?.close(checkpoints.saves > 0)
  }
}

interface RunSetup {
  options: TrainOptions
  platform: TrainPlatform
  processStart: number
  resume: ResumePoint | undefined
  config: TrainConfig
  settings: RunSettings
  selection: BackendSelection
  checkpoints: RunCheckpoints
}

async function trainWith(setup: RunSetup): Promise<TrainResult> {
  const { options, resume, config, settings, selection, checkpoints } = setup
  const resumed = resume?.checkpoint
  const data = await loadRunData(options, resumed, setup.platform.loadSplits, resume?.name)
  const model = resume ? await resume.checkpoint.loadModel() : createSeededModel(config)
  let keepModel = false
  let choice: EngineChoice | undefined
  try {
    const classes = (model.outputs[0]!.shape[1] as number | null) ?? 10
    checkRunData(data, classes, model.inputs[0]!.shape)
    choice = setUpEngine(model, config, { ...data.train, classes }, resumed, settings.fusedStep, selection.backend)
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
      resumedFrom: resume?.name,
      resumedFromRecorded: resume?.recordedAs,
      threads: settings.threads,
      metadataExtra: { ...(options.preset !== undefined ? { preset: options.preset } : {}), ...options.metadataExtra },
    }
    const run = new RunState(setup.processStart, resumed?.state)
    const warnings = [...settings.warnings, ...stepEngineWarning(resumed, settings, choice.engine.name)]
    reportStart(options, facts, choice.reason, checkpoints.dir, run, warnings)
    const loop = new TrainingLoop({ options, facts, model, engine: choice.engine, run, checkpoints })
    const result = await loop.train().catch((e: unknown) => {
      throw asBatchTooLarge(e, config.batchSize, selection.backend)
    })
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

/** The backend of `settings`; when it is the resumed checkpoint's and unavailable here, a `ResumeBackendError`. */
async function selectRunBackend(
  options: TrainOptions,
  settings: RunSettings,
  resumeName: string | undefined,
): Promise<BackendSelection> {
  try {
    return await selectBackend(settings.backend, {
      threads: settings.threads,
      allowSoftwareWebGpu: options.allowSoftwareWebGpu,
    })
  } catch (e) {
    if (settings.backendFromCheckpoint && resumeName !== undefined && e instanceof BackendUnavailableError) {
      throw new ResumeBackendError(resumeName, settings.backend, e)
    }
    throw e
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
  backend: string,
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
    throw asBatchTooLarge(e, config.batchSize, backend)
  }
}

/**
 * An allocation failure (the simd backend's wasm heap, a typed array too large) as the error naming the batch size,
 * which is what makes a step's memory grow; anything else unchanged.
 */
function asBatchTooLarge(error: unknown, batchSize: number, backend: string): unknown {
  const code = (error as { code?: unknown } | null)?.code
  const message = error instanceof Error ? error.message : ''
  // tfjs-backend-wasm does not check its allocations: a step too large for its heap traps as an out-of-bounds access.
  const wasmTrap = backend === 'wasm' && error instanceof WebAssembly.RuntimeError && /out of bounds/.test(message)
  const oom =
    code === 'SIMD_OUT_OF_MEMORY' || wasmTrap || /out of memory|\bOOM\b|Array buffer allocation failed/i.test(message)
  return oom ? new BatchTooLargeError(batchSize, backend, error) : error
}

function reportStart(
  options: TrainOptions,
  facts: RunFacts,
  reason: string | undefined,
  runDir: string | undefined,
  run: RunState,
  warnings: string[],
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
    evaluation: data.validation > 0 ? 'validation' : 'test',
    batchesPerEpoch: facts.batchesPerEpoch,
    totalSteps: facts.totalSteps,
    runDir,
    position: { ...run.position },
    resumedFrom: facts.resumedFrom,
    warnings,
  })
}
