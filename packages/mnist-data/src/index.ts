// Public surface of @mnist/data. Re-exports only: no logic, no side effects.
export { parseIdx, encodeIdx, isGzip, gunzipBytes } from './idx'
export { loadMnist } from './load'
export { batches, shuffledIndices } from './batches'
export { DATASETS, normalizationFor } from './datasets'
export {
  MNIST_NORMALIZATION,
  FASHION_MNIST_NORMALIZATION,
  normalizeImages,
  computeNormalization,
} from './normalization'
export { mulberry32, mixSeed, createRng } from './random'
export { defaultCacheDir } from './cache'
export {
  MnistDataError,
  IdxFormatError,
  ChecksumError,
  DownloadError,
  DatasetError,
  OptionError,
  CacheLockError,
  CacheWriteError,
} from './errors'

export type { IdxArray, IdxData, IdxDType } from './idx'
export type { LoadMnistOptions, MnistData, MnistSplit } from './load'
export type { Batch, BatchOptions } from './batches'
export type { DatasetName, DatasetFiles, DatasetInfo } from './datasets'
export type { Normalization } from './normalization'
export type { Rng } from './random'
export type { DownloadProgress } from './download'
export type { LockWait } from './cache'
export type { MnistDataErrorCode, DownloadAttempt } from './errors'
