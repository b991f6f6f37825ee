import type { LayersModel } from '@tensorflow/tfjs-layers'
import type { DatasetName, DownloadProgress, MnistSplit } from '@mnist/data'
import type { ModelConfig } from '@mnist/model'
import type { BackendName, BackendRequest, BackendSelection } from '@mnist/backends'
import type { EpochSummary, TrainingPosition } from './checkpoint-format'
import type { CheckpointStore } from './checkpoint-store'
import type { TrainConfig, TrainConfigInput } from './config'
import type { TrainPresetName } from './presets'

// The options, callbacks and result of `train()`.

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
  /**
   * A named recipe of `TRAIN_PRESETS` (e.g. `'best'`): its settings first, then `config`'s on top. On resume it must
   * agree with the checkpoint, like `config`.
   */
  preset?: TrainPresetName
  /**
   * The architecture to train (an @mnist/model `ModelConfig`; default `DEFAULT_MODEL_CONFIG`), the same as
   * `config.model` (give one of them). Checked before anything is created: `ModelConfigError` names a bad layer,
   * `ParamBudgetError` a network of 25,000 trainable parameters or more. Saved in the model's metadata and in every
   * checkpoint; when resuming it may be left out, and if given must be the checkpoint's (`ResumeModelMismatchError`).
   */
  model?: ModelConfig
  /**
   * Default `'auto'`. When resuming, `'auto'` (or leaving it out) continues on the backend the checkpoint recorded, so
   * that the result is that of an uninterrupted run (`ResumeBackendError` when it is not available here); another
   * backend overrides it, with a warning in `TrainStartInfo.warnings`.
   */
  backend?: BackendRequest
  /** Threads for the simd / wasm backends. When resuming, default: the number the checkpoint recorded. */
  threads?: number
  /**
   * Where the active backend is `simd`, run each training step as a few fused WebAssembly passes per layer
   * (@mnist/backend-simd's FusedTrainer, built from the model's `ModelConfig`) instead of tfjs ops and autodiff: the
   * same math, about 5x faster. Default true. Models with a layer the fused step does not run (e.g. global average
   * pooling) use the tfjs step; `TrainStartInfo.stepEngine` and `stepEngineReason` say which and why. When resuming,
   * default: the step engine the checkpoint recorded.
   */
  fusedStep?: boolean
  /** Accept a software WebGPU adapter when `backend` is `'webgpu'` (default true there). */
  allowSoftwareWebGpu?: boolean
  /**
   * Use these splits instead of calling `loadMnist` (labels must be class indices, images the model's size). Required
   * in the browser entry, which has no `loadMnist`.
   */
  data?: TrainData
  /** `loadMnist` options (when `data` is not given; Node only). */
  dataset?: DatasetName
  dataDir?: string
  mirror?: string
  cacheDir?: string
  /** Download inactivity timeout per try, in ms (`loadMnist`'s `timeoutMs`). */
  timeoutMs?: number
  /** Download tries per mirror after the first (`loadMnist`'s `retries`). */
  retries?: number
  /** Train on the first `limit` training images only (quick runs, tests). */
  limit?: number
  /** Evaluate on the first `testLimit` test images only (with `validation`: of the validation images). */
  testLimit?: number
  /**
   * Hold out the last `validation` training images and evaluate on them after each epoch instead of on the test set
   * (which is then not used): for choosing settings without looking at the test set. Training takes the images
   * before them (the first `limit` of those). Default 0; a resumed run keeps its checkpoint's.
   */
  validation?: number
  /** Extra JSON-serialisable fields for the saved model's `metadata.extra` (e.g. how the run was started). */
  metadataExtra?: Record<string, unknown>
  /**
   * Parent folder of the run folder `<timestamp>-<backend>/` (`-2`, `-3`, ... when a run started in the same second
   * took the name). The run folder is created when training starts (an unwritable folder fails then, with
   * `RunDirError`) and removed again if the run ends before its first checkpoint. Default: the resumed checkpoint's
   * parent when resuming, else `MNIST_OUT_DIR`, else `models` (relative to the current directory). Node only.
   */
  outDir?: string
  /** Write checkpoints (default true). With false nothing is written, and an interrupted run cannot be resumed. */
  save?: boolean
  /**
   * Save the checkpoints into this store instead of a new run folder under `outDir` (which is then not created):
   * `new MemoryCheckpointStore()`, `new IndexedDbCheckpointStore(name)` or your own. The browser entry saves
   * nothing unless given one.
   */
  checkpoints?: CheckpointStore
  /**
   * The checkpoint to continue (written by an interrupted run): a checkpoint folder (Node), or a store holding one
   * (it may also be `checkpoints`: the resumed run then saves over the checkpoint it started from).
   */
  resume?: string | CheckpointStore
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
export type StepEngineName = 'fused' | 'tfjs'

export interface TrainStartInfo {
  backend: BackendName
  device: string
  stepEngine: StepEngineName
  /** Why the tfjs step was used where the backend runs the fused one (unsupported layer, or `fusedStep: false`). */
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
  /** Images evaluated after each epoch: of the test set, or with `validation` the held-out training images. */
  testImages: number
  /** `'validation'` when the run evaluates on held-out training images (`validation` option), else `'test'`. */
  evaluation: 'test' | 'validation'
  batchesPerEpoch: number
  totalSteps: number
  /**
   * The run's checkpoint folder (written at the end of each epoch and on interrupt), or the `location` of the
   * `checkpoints` store; undefined when nothing is saved.
   */
  runDir: string | undefined
  /** Where a resumed run starts. */
  position: TrainingPosition
  /** The `resume` folder as given, or the `location` of the `resume` store. */
  resumedFrom: string | undefined
  /** Why the result will differ from an uninterrupted run (a resume overriding the recorded backend or engine). */
  warnings: string[]
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
  /** The run folder (model + optimiser + training.json), or the `checkpoints` store's `location`, when saved. */
  checkpointDir: string | undefined
  /** Same folder as `checkpointDir` when the run completed (a loadable model with metadata). */
  modelDir: string | undefined
  backend: BackendName
  device: string
  stepEngine: StepEngineName
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
