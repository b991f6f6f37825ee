// Public surface of @mnist/data. Re-exports only: no logic, no side effects.
export { parseIdx, encodeIdx, isGzip, gunzipBytes } from './idx'
export { loadMnist } from './load'
export { fetchMnist } from './fetch-mnist'
export { readIdx } from './idx-web'
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
export type { LoadMnistOptions } from './load'
export type { MnistData, MnistSplit } from './splits'
export type { Batch, BatchOptions } from './batches'
export type { DatasetName, DatasetFiles, DatasetInfo } from './datasets'
export type { Normalization } from './normalization'
export type { Rng } from './random'
export type { DownloadProgress } from './progress'
export type { FetchMnistOptions } from './fetch-mnist'
export type { IdxSource, ReadIdxOptions, ReadIdxResult } from './idx-web'
export type { LockWait } from './cache'
export type { MnistDataErrorCode, DownloadAttempt } from './errors'
