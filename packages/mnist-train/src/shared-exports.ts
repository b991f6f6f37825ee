// The part of @mnist/train's public surface that is the same in Node and in browsers: re-exported by both entries
// (./index.ts and ./browser.ts). Re-exports only; nothing here (or imported from here) needs Node.
export { DEFAULT_TRAIN_CONFIG, resolveTrainConfig } from './config'
export { TRAIN_PRESETS, presetConfig } from './presets'
export { AdamW } from './adamw'
export { oneCycle } from './schedule'
export {
  DEFAULT_AUGMENTATION,
  IDENTITY_AFFINE,
  affineWarp,
  augmentImage,
  sampleAffine,
  validateAugmentation,
} from './augment'
// Backend selection moved to @mnist/backends; re-exported so that code importing it from here keeps working.
export {
  BACKEND_ORDER,
  listBackends,
  selectBackend,
  registerWasmTrainingKernels,
  registerCpuTrainingKernels,
  BackendUnavailableError,
  UnsupportedKernelError,
} from '@mnist/backends'
export { MemoryCheckpointStore } from './memory-store'
export { IndexedDbCheckpointStore } from './indexeddb-store'
export { CHECKPOINT_FORMAT } from './checkpoint-format'
export {
  MnistTrainError,
  InvalidTrainConfigError,
  NonFiniteLossError,
  CheckpointError,
  CheckpointWriteError,
  RunDirError,
  TrainDataError,
  BatchTooLargeError,
  ResumeBackendError,
  ResumeModelMismatchError,
  TrainAbortedError,
} from './errors'

export type { TrainOptions, TrainData, TrainStartInfo, TrainProgress, TrainResult, StepEngineName } from './options'
export type { TrainConfig, TrainConfigInput } from './config'
export type { TrainPreset, TrainPresetName } from './presets'
export type { AdamWOptions, AdamWState, AdamWSlot } from './adamw'
export type { OneCycleOptions, ScheduleValue } from './schedule'
export type { AffineParams, AugmentationRanges } from './augment'
export type { PixelNoiseRanges } from './pixel-noise'
export type { CheckpointStore, CheckpointToSave, StoredCheckpoint } from './checkpoint-store'
export type { IndexedDbCheckpointStoreOptions } from './indexeddb-store'
export type {
  BackendName,
  BackendRequest,
  BackendSelection,
  BackendStatus,
  SelectBackendOptions,
  SkippedBackend,
} from '@mnist/backends'
export type {
  CheckpointFiles,
  CheckpointState,
  EpochSummary,
  LoadedCheckpoint,
  TrainingPosition,
} from './checkpoint-format'
export type { MnistTrainErrorCode } from './errors'
