import { existsSync } from 'node:fs'
import path from 'node:path'
import * as tf from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import {
  loadMnist,
  normalizationFor,
  shuffledIndices,
  type DatasetName,
  type DownloadProgress,
  type MnistSplit,
  type Normalization,
} from '@mnist/data'
import { FusedNetworkError } from '@mnist/backend-simd'
import { evaluate } from '@mnist/eval'
import { countParams, createMetadata, createModel, getModelConfig, loadModel, PARAM_BUDGET, type ModelMetadata } from '@mnist/model'
import { AdamW } from './adamw'
import { FusedStep } from './fused-step'
import { BatchFiller } from './batch'
import { selectBackend, type BackendName, type BackendRequest, type BackendSelection } from '@mnist/backends'
import {
  fingerprint,
  readCheckpoint,
  writeCheckpoint,
  CHECKPOINT_FORMAT,
  type CheckpointState,
  type EpochSummary,
  type TrainingPosition,
} from './checkpoint'
import { resolveTrainConfig, type TrainConfig, type TrainConfigInput } from './config'
import { CheckpointError, InvalidTrainConfigError, NonFiniteLossError } from './errors'
import { oneCycle } from './schedule'
import { STREAM, streamRng, withSeededMathRandom } from './_random'

/** Data already in memory (skips `loadMnist`). */
export interface TrainData {
  train: MnistSplit
  test: MnistSplit
  /** Picks the normalisation; default `'mnist'`. */
  dataset?: DatasetName
}

export interface TrainOptions {
  /** Hyper-parameters; anything left out comes from `DEFAULT_TRAIN_CONFIG`. Ignored fields on resume must match. */
  config?: TrainConfigInput
  /** Default `'auto'`. */
  backend?: BackendRequest
  /** Threads for the simd / wasm backends. */
  threads?: number
  /**
   * On the `simd` backend, run each training step as a few fused WebAssembly passes per layer (@mnist/backend-simd's
   * FusedTrainer) instead of tfjs ops and autodiff: the same math, about 5x faster. Default true. Models with a layer
   * the fused step does not run (e.g. global average pooling) use the tfjs step; `TrainStartInfo.stepEngine` says which.
   */
  fusedStep?: boolean
  /** Accept a software WebGPU adapter when `backend` is `'webgpu'` (default true there). */
  allowSoftwareWebGpu?: boolean
  /** Use these splits instead of calling `loadMnist`. */
  data?: TrainData
  /** `loadMnist` options (when `data` is not given). */
  dataset?: DatasetName
  dataDir?: string
  mirror?: string
  cacheDir?: string
  /** Train on the first `limit` training images only (quick runs, tests). */
  limit?: number
  /** Evaluate on the first `testLimit` test images only. */
  testLimit?: number
  /**
   * Parent folder of the run folder `<timestamp>-<backend>/`. Default: the resumed checkpoint's parent when resuming,
   * else `MNIST_OUT_DIR`, else `models` (relative to the current directory).
   */
  outDir?: string
  /** Write checkpoints (default true). With false nothing is written, and an interrupted run cannot be resumed. */
  save?: boolean
  /** A checkpoint folder to continue (written by an interrupted run). */
  resume?: string
  /** Abort: the trainer stops before the next step, writes a resumable checkpoint and returns `interrupted: true`. */
  signal?: AbortSignal
  /** Keep the trained model in the result (the caller then owns it and must `dispose()` it). Default false. */
  keepModel?: boolean
  onBackend?: (selection: BackendSelection) => void
  onDataProgress?: (progress: DownloadProgress) => void
  onStart?: (info: TrainStartInfo) => void
  onProgress?: (progress: TrainProgress) => void
  /** Called when the test-set evaluation after an epoch starts. */
  onEvaluate?: (info: { epoch: number; images: number }) => void
  onEpochEnd?: (summary: EpochSummary) => void
}

/** How a training step runs: `fused` (simd backend: fused wasm passes) or `tfjs` (tfjs ops + autodiff). */
export type StepEngine = 'fused' | 'tfjs'

export interface TrainStartInfo {
  backend: BackendName
  device: string
  stepEngine: StepEngine
  /** Why the tfjs step was used on the simd backend (unsupported layer, or `fusedStep: false`). */
  stepEngineReason: string | undefined
  skipped: BackendSelection['skipped']
  params: number
  /** The trainable-parameter budget the model is checked against (strictly fewer). */
  budget: number
  config: TrainConfig
  dataset: string
  /** Where the data came from (`dataDir`, `cache`, `download`, or `memory`). */
  dataSource: string
  trainImages: number
  testImages: number
  batchesPerEpoch: number
  totalSteps: number
  /** The run's checkpoint folder (written at the end of each epoch and on interrupt); undefined with `save: false`. */
  runDir: string | undefined
  /** Where a resumed run starts. */
  position: TrainingPosition
  resumedFrom: string | undefined
}

export interface TrainProgress {
  /** 1-based. */
  epoch: number
  epochs: number
  /** Batches done in this epoch (1-based index of the batch just trained). */
  batch: number
  batches: number
  /** Steps done in the whole run. */
  step: number
  totalSteps: number
  /** Mean loss over this epoch so far. */
  loss: number
  /** Training accuracy over this epoch so far, a fraction. */
  accuracy: number
  /** Learning rate used by the step just done. */
  learningRate: number
  /** Training throughput since this process started training. */
  imagesPerSecond: number
  /** Estimated seconds of training left (evaluation not included). */
  etaSeconds: number
  elapsedSeconds: number
}

export interface TrainResult {
  /** True when stopped by the signal; `checkpointDir` then holds a resumable checkpoint (unless `save: false`). */
  interrupted: boolean
  /** The run folder (model + optimiser + training.json), when saving. */
  checkpointDir: string | undefined
  /** Same folder as `checkpointDir` when the run completed (a loadable model with metadata). */
  modelDir: string | undefined
  backend: BackendName
  device: string
  stepEngine: StepEngine
  skipped: BackendSelection['skipped']
  params: number
  epochs: number
  epochsCompleted: number
  step: number
  totalSteps: number
  /** After the last completed epoch (undefined if none completed). */
  testAccuracy: number | undefined
  testLoss: number | undefined
  /** Running accuracy / mean loss of the last epoch trained (partial when interrupted). */
  trainAccuracy: number
  trainLoss: number
  /** Wall seconds of training, evaluation and saving (data loading excluded), summed over resumes. */
  seconds: number
  /** Seconds of training steps only, summed over resumes. */
  trainSeconds: number
  imagesPerSecond: number
  history: EpochSummary[]
  config: TrainConfig
  /** Only with `keepModel: true`. */
  model?: LayersModel
}

/** Default parent folder of the run folders: `MNIST_OUT_DIR`, else `models` (relative to the current directory). */
export function defaultOutDir(): string {
  const env = process.env['MNIST_OUT_DIR']
  return env !== undefined && env !== '' ? env : 'models'
}

/**
 * Train (or resume) the @mnist/model CNN: select the backend, load the data, run the one-cycle AdamW loop with the
 * test-set evaluation after each epoch, checkpoint each epoch (and on abort), return the metrics. Deterministic: the
 * same config, seed and backend give bit-identical weights on the same machine, also across an interrupt + resume.
 */
export async function train(options: TrainOptions = {}): Promise<TrainResult> {
  const totalStart = performance.now()
  const resumed = options.resume !== undefined ? await readCheckpoint(options.resume) : undefined
  if (resumed !== undefined && resumed.state.complete) {
    throw new CheckpointError(
      options.resume!,
      `the run is already complete (${resumed.state.history.length}/${resumed.state.config.epochs} epochs); nothing to resume`,
    )
  }
  const config = resumed ? checkResumeConfig(resumed.state.config, options.config ?? {}) : resolveTrainConfig(options.config)

  const selection = await selectBackend(options.backend ?? 'auto', {
    threads: options.threads,
    allowSoftwareWebGpu: options.allowSoftwareWebGpu,
  })
  options.onBackend?.(selection)

  // ---- data
  const loaded = options.data
    ? { dataset: options.data.dataset ?? 'mnist', source: 'memory', train: options.data.train, test: options.data.test }
    : await loadMnist({
        dataset: options.dataset ?? (resumed?.state.dataset as DatasetName | undefined),
        dataDir: options.dataDir,
        mirror: options.mirror,
        cacheDir: options.cacheDir,
        onProgress: options.onDataProgress,
        signal: options.signal,
      })
  const dataset = loaded.dataset
  const trainCount = resumed ? resumed.state.trainCount : pickCount('limit', options.limit, loaded.train.count)
  const testCount = resumed ? resumed.state.testCount : pickCount('testLimit', options.testLimit, loaded.test.count)
  if (trainCount > loaded.train.count || testCount > loaded.test.count) {
    throw new CheckpointError(
      options.resume!,
      `the checkpoint trained on ${trainCount} images and tested on ${testCount}; this dataset has ${loaded.train.count} / ${loaded.test.count}`,
    )
  }
  const { rows, cols } = loaded.train
  const pixels = rows * cols
  const trainImages = loaded.train.images.subarray(0, trainCount * pixels)
  const trainLabels = loaded.train.labels.subarray(0, trainCount)
  const dataFingerprint = fingerprint(trainImages, trainLabels)
  if (resumed) {
    if (resumed.state.dataset !== dataset || resumed.state.dataFingerprint !== dataFingerprint) {
      throw new CheckpointError(
        options.resume!,
        `the checkpoint was trained on different data (${resumed.state.dataset}, fingerprint ${resumed.state.dataFingerprint}); ` +
          `found ${dataset}, fingerprint ${dataFingerprint}`,
      )
    }
  }
  const testSplit: MnistSplit = { ...loaded.test }
  const normalization: Normalization = normalizationFor(dataset as DatasetName)
  const batchesPerEpoch = Math.ceil(trainCount / config.batchSize)
  const totalSteps = batchesPerEpoch * config.epochs

  // ---- model + optimiser
  let model: LayersModel
  if (resumed) {
    model = (await loadModel(options.resume!)).model
  } else {
    model = withSeededMathRandom(streamRng(config.seed, STREAM.ops, -1), () =>
      createModel({ ...config.model, seed: config.seed }),
    )
  }
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable)
  const optimizer = new AdamW(variables, {
    learningRate: config.maxLr / config.divFactor,
    beta1: config.cycleMomentum ? config.maxMomentum : config.beta1,
    beta2: config.beta2,
    epsilon: config.epsilon,
    weightDecay: config.weightDecay,
  })
  let keepModel = false
  let fused: FusedStep | undefined
  try {
    if (resumed) optimizer.setState(resumed.optimizer)
    let stepEngineReason: string | undefined
    if (selection.backend === 'simd') {
      if (options.fusedStep === false) stepEngineReason = 'fusedStep: false'
      else {
        try {
          fused = new FusedStep(model, config.batchSize, config.labelSmoothing)
          fused.loadFromModel(optimizer)
        } catch (e) {
          if (!(e instanceof FusedNetworkError)) throw e
          stepEngineReason = e.message
        }
      }
    }
    const stepEngine: StepEngine = fused ? 'fused' : 'tfjs'
    const params = countParams(model)

    const startedAt = resumed?.state.startedAt ?? new Date().toISOString()
    const save = options.save ?? true
    const outDir = options.outDir ?? (options.resume !== undefined ? path.dirname(path.resolve(options.resume)) : defaultOutDir())
    let runDir = save ? uniqueRunDir(outDir, selection.backend, new Date()) : undefined

    const position: TrainingPosition = resumed ? { ...resumed.state.position } : { epoch: 0, batch: 0, step: 0 }
    const history: EpochSummary[] = resumed ? resumed.state.history.map((h) => ({ ...h })) : []
    const progress = resumed ? { ...resumed.state.epochProgress } : { lossSum: 0, correct: 0, seen: 0, trainSeconds: 0 }
    const priorSeconds = resumed?.state.seconds ?? { train: 0, total: 0 }
    let trainSecondsThisRun = 0
    let imagesThisRun = 0
    let stepsThisRun = 0

    options.onStart?.({
      backend: selection.backend,
      device: selection.device,
      stepEngine,
      stepEngineReason,
      skipped: selection.skipped,
      params,
      budget: PARAM_BUDGET,
      config,
      dataset,
      dataSource: loaded.source,
      trainImages: trainCount,
      testImages: testCount,
      batchesPerEpoch,
      totalSteps,
      runDir,
      position: { ...position },
      resumedFrom: options.resume,
    })

    const schedule = {
      maxLr: config.maxLr,
      totalSteps,
      pctStart: config.pctStart,
      divFactor: config.divFactor,
      finalDivFactor: config.finalDivFactor,
      annealStrategy: config.annealStrategy,
      cycleMomentum: config.cycleMomentum,
      baseMomentum: config.baseMomentum,
      maxMomentum: config.maxMomentum,
    }
    const classes = (model.outputs[0]!.shape[1] as number | null) ?? 10
    // one-hot labels for the tfjs step only
    const filler = new BatchFiller({ images: trainImages, labels: trainLabels, rows, cols }, config.batchSize, normalization, classes, !fused)
    const { images: batchX, labels: batchLabels } = filler.batch
    const batchY = filler.batch.oneHot

    let order: Uint32Array | undefined
    let orderEpoch = -1
    let lastTestAccuracy = resumed?.state.testAccuracy
    let lastTestLoss = resumed?.state.testLoss
    let saves = 0

    const buildState = (complete: boolean): CheckpointState => ({
      format: CHECKPOINT_FORMAT,
      complete,
      backend: selection.backend,
      tfBackend: selection.tfBackend,
      device: selection.device,
      config,
      dataset,
      trainCount,
      testCount,
      dataFingerprint,
      batchesPerEpoch,
      totalSteps,
      position: { ...position },
      epochProgress: { ...progress },
      history: history.map((h) => ({ ...h })),
      params,
      seconds: {
        train: priorSeconds.train + trainSecondsThisRun,
        total: priorSeconds.total + (performance.now() - totalStart) / 1000,
      },
      ...(lastTestAccuracy !== undefined ? { testAccuracy: lastTestAccuracy, testLoss: lastTestLoss } : {}),
      optimizer: { step: optimizer.step, slots: optimizer.getState().slots.map((s) => ({ name: s.name, shape: s.shape })) },
      startedAt,
      savedAt: new Date().toISOString(),
      ...(options.resume !== undefined ? { resumedFrom: path.resolve(options.resume) } : {}),
    })

    const checkpoint = async (complete: boolean): Promise<void> => {
      if (runDir === undefined) return
      // First write of this run: never replace a folder someone else wrote since we picked the name.
      if (saves === 0) runDir = uniqueRunDir(outDir, selection.backend, new Date(), runDir)
      fused?.syncToModel(optimizer)
      const state = buildState(complete)
      const metadata: ModelMetadata = createMetadata(model, {
        dataset,
        epochs: history.length,
        ...(lastTestAccuracy !== undefined ? { testAccuracy: lastTestAccuracy, testLoss: lastTestLoss } : {}),
        backend: selection.backend,
        device: selection.device,
        seed: config.seed,
        trainSeconds: state.seconds.train,
        trainingConfig: trainingConfigForMetadata(config),
        modelConfig: getModelConfig(model) ?? config.model,
        normalization,
        extra: { complete, position: state.position, trainImages: trainCount, testImages: testCount, stepEngine },
      })
      await writeCheckpoint(runDir, { model, metadata, state, optimizer: optimizer.getState() })
      saves++
    }

    const result = (interrupted: boolean): TrainResult => {
      const last = history[history.length - 1]
      const partial = progress.seen > 0
      const trainSeconds = priorSeconds.train + trainSecondsThisRun
      const seconds = priorSeconds.total + (performance.now() - totalStart) / 1000
      const out: TrainResult = {
        interrupted,
        checkpointDir: saves > 0 ? runDir : undefined,
        modelDir: !interrupted && saves > 0 ? runDir : undefined,
        backend: selection.backend,
        device: selection.device,
        stepEngine,
        skipped: selection.skipped,
        params,
        epochs: config.epochs,
        epochsCompleted: history.length,
        step: position.step,
        totalSteps,
        testAccuracy: lastTestAccuracy,
        testLoss: lastTestLoss,
        trainAccuracy: partial ? progress.correct / progress.seen : (last?.trainAccuracy ?? 0),
        trainLoss: partial ? progress.lossSum / progress.seen : (last?.trainLoss ?? 0),
        seconds,
        trainSeconds,
        imagesPerSecond: trainSecondsThisRun > 0 ? imagesThisRun / trainSecondsThisRun : 0,
        history,
        config,
      }
      if (options.keepModel) {
        fused?.syncToModel(optimizer)
        out.model = model
        keepModel = true
      }
      return out
    }

    /** One step on @mnist/backend-simd's fused trainer (the dropout seed comes from the step's generator). */
    const runFusedStep = (step: FusedStep, size: number, random: () => number): { loss: number; correct: number } => {
      const result = step.train(batchX, batchLabels, size, Math.floor(random() * 4294967296), optimizer)
      if (!Number.isFinite(result.loss)) {
        throw new NonFiniteLossError(position.step + 1, position.epoch + 1, position.batch + 1, result.loss)
      }
      return result
    }

    /** One step with tfjs ops and autodiff; tfjs's random ops (dropout) draw from the step's generator. */
    const runTfjsStep = (size: number, random: () => number): { loss: number; correct: number } =>
      withSeededMathRandom(random, () =>
        tf.tidy(() => {
          const x = tf.tensor4d(batchX.subarray(0, size * pixels), [size, rows, cols, 1])
          const y = tf.tensor2d(batchY!.subarray(0, size * classes), [size, classes])
          let logits: tf.Tensor | undefined
          const { value, grads } = tf.variableGrads(() => {
            const out = model.apply(x, { training: true }) as tf.Tensor
            logits = tf.keep(out)
            return tf.losses.softmaxCrossEntropy(y, out, undefined, config.labelSmoothing) as tf.Scalar
          }, variables)
          const lossValue = value.dataSync()[0]!
          if (!Number.isFinite(lossValue)) {
            logits!.dispose()
            throw new NonFiniteLossError(position.step + 1, position.epoch + 1, position.batch + 1, lossValue)
          }
          optimizer.applyGradients(grads)
          const scores = logits!.dataSync()
          logits!.dispose()
          let right = 0
          for (let k = 0; k < size; k++) {
            let best = 0
            for (let c = 1; c < classes; c++) if (scores[k * classes + c]! > scores[k * classes + best]!) best = c
            if (best === batchLabels[k]) right++
          }
          return { loss: lossValue, correct: right }
        }))

    let lastYield = performance.now()
    while (position.epoch < config.epochs) {
      if (orderEpoch !== position.epoch) {
        order = shuffledIndices(trainCount, mixedSeed(config.seed, STREAM.shuffle, position.epoch))
        orderEpoch = position.epoch
      }
      while (position.batch < batchesPerEpoch) {
        if (options.signal?.aborted) {
          await checkpoint(false)
          return result(true)
        }
        const stepStart = performance.now()
        const start = position.batch * config.batchSize
        const size = Math.min(config.batchSize, trainCount - start)
        // ---- batch in plain JS: gather, augment or normalise (labels; one-hot for the tfjs step)
        filler.fill(order!, start, size, config.augment
          ? { random: streamRng(config.seed, STREAM.augment, position.step), ranges: config.augmentation }
          : undefined)
        const { learningRate, beta1 } = oneCycle(position.step, schedule)
        optimizer.learningRate = learningRate
        if (beta1 !== undefined) optimizer.beta1 = beta1

        // ---- forward, backward, update (randomness seeded per step)
        const random = streamRng(config.seed, STREAM.ops, position.step)
        const { loss, correct } = fused ? runFusedStep(fused, size, random) : runTfjsStep(size, random)
        progress.lossSum += loss * size
        progress.correct += correct
        progress.seen += size
        position.batch += 1
        position.step += 1
        stepsThisRun += 1
        imagesThisRun += size
        const stepSeconds = (performance.now() - stepStart) / 1000
        trainSecondsThisRun += stepSeconds
        progress.trainSeconds += stepSeconds
        if (options.onProgress) {
          const perStep = trainSecondsThisRun / stepsThisRun
          options.onProgress({
            epoch: position.epoch + 1,
            epochs: config.epochs,
            batch: position.batch,
            batches: batchesPerEpoch,
            step: position.step,
            totalSteps,
            loss: progress.lossSum / progress.seen,
            accuracy: progress.correct / progress.seen,
            learningRate,
            imagesPerSecond: imagesThisRun / trainSecondsThisRun,
            etaSeconds: perStep * (totalSteps - position.step),
            elapsedSeconds: trainSecondsThisRun,
          })
        }
        // Let signal handlers (Ctrl-C) and progress output run between steps: every 10 ms, not every step (a fused
        // step takes ~3 ms and a turn of the event loop costs a noticeable part of that).
        if (performance.now() - lastYield >= 10) {
          await new Promise<void>((resolve) => setImmediate(resolve))
          lastYield = performance.now()
        }
      }

      // ---- end of epoch: evaluate on the test set, checkpoint
      options.onEvaluate?.({ epoch: position.epoch + 1, images: testCount })
      const evalStart = performance.now()
      fused?.syncToModel(optimizer)
      const evaluation = await evaluate(model, testSplit, {
        batchSize: config.evalBatchSize,
        normalization,
        limit: testCount,
      })
      const evalSeconds = (performance.now() - evalStart) / 1000
      lastTestAccuracy = evaluation.accuracy
      lastTestLoss = evaluation.loss
      const summary: EpochSummary = {
        epoch: position.epoch + 1,
        trainLoss: progress.lossSum / progress.seen,
        trainAccuracy: progress.correct / progress.seen,
        testLoss: evaluation.loss,
        testAccuracy: evaluation.accuracy,
        trainSeconds: progress.trainSeconds,
        evalSeconds,
      }
      history.push(summary)
      position.epoch += 1
      position.batch = 0
      const lastEpoch = { lossSum: progress.lossSum, correct: progress.correct, seen: progress.seen }
      Object.assign(progress, { lossSum: 0, correct: 0, seen: 0, trainSeconds: 0 })
      options.onEpochEnd?.(summary)
      await checkpoint(position.epoch >= config.epochs)
      if (position.epoch >= config.epochs) {
        // Report the last epoch's running metrics, not the reset ones.
        Object.assign(progress, lastEpoch)
        const out = result(false)
        return { ...out, trainAccuracy: summary.trainAccuracy, trainLoss: summary.trainLoss }
      }
    }
    /* c8 ignore next: a resumed checkpoint is never complete (checked above) */
    return result(false)
  } finally {
    fused?.dispose()
    optimizer.dispose()
    if (!keepModel) model.dispose()
  }
}

function mixedSeed(seed: number, stream: number, index: number): number {
  // shuffledIndices takes a safe integer; derive a 31-bit one per (seed, epoch).
  return Math.floor(streamRng(seed, stream, index)() * 2147483648)
}

function pickCount(option: string, value: number | undefined, available: number): number {
  if (value === undefined) return available
  if (!(Number.isSafeInteger(value) && value >= 1 && value <= available)) {
    throw new InvalidTrainConfigError(option, `an integer in [1, ${available}] (images available)`, value)
  }
  return value
}

/** Resume keeps the checkpoint's config; a field the caller also gives must agree with it. */
function checkResumeConfig(saved: TrainConfig, given: TrainConfigInput): TrainConfig {
  for (const [key, value] of Object.entries(given)) {
    if (value === undefined) continue
    const savedValue = (saved as unknown as Record<string, unknown>)[key]
    if (JSON.stringify(savedValue) !== JSON.stringify(typeof value === 'object' ? { ...(savedValue as object), ...value } : value)) {
      throw new InvalidTrainConfigError(
        key,
        `the checkpoint's value ${JSON.stringify(savedValue)} (a resumed run keeps its settings; leave the option out)`,
        value,
      )
    }
  }
  return saved
}

function trainingConfigForMetadata(config: TrainConfig): Record<string, unknown> {
  const { model: _model, ...rest } = config
  return { optimizer: 'AdamW', schedule: 'one-cycle', ...rest }
}

/** `<outDir>/<YYYY-MM-DDTHH-MM-SSZ>-<backend>`, with `-2`, `-3`, ... when taken. */
function uniqueRunDir(outDir: string, backend: string, when: Date, current?: string): string {
  const stamp = when.toISOString().replace(/\.\d+Z$/, 'Z').replace(/:/g, '-')
  const base = current ?? path.join(outDir, `${stamp}-${backend}`)
  if (!existsSyncSafe(base)) return base
  for (let i = 2; ; i++) {
    const candidate = `${base}-${i}`
    if (!existsSyncSafe(candidate)) return candidate
  }
}

function existsSyncSafe(p: string): boolean {
  try {
    return existsSync(p)
  } catch {
    return false
  }
}
