// What both entries (index.ts for Node, browser.ts for browsers and Web Workers) export alike. Re-exports only.
export { fetchMnist } from './fetch-mnist'
export { readIdx } from './idx-web'
export { encodeIdx, isGzip } from './idx-format'
export { batches, shuffledIndices } from './batches'
export { DATASETS, normalizationFor } from './datasets'
export {
  MNIST_NORMALIZATION,
  FASHION_MNIST_NORMALIZATION,
  normalizeImages,
  computeNormalization,
} from './normalization'
export { mulberry32, mixSeed, createRng } from './random'
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

export type { FetchMnistOptions } from './fetch-mnist'
export type { IdxSource, ReadIdxOptions, ReadIdxResult } from './idx-web'
export type { IdxArray, IdxData, IdxDType } from './idx-format'
export type { MnistData, MnistSplit } from './splits'
export type { Batch, BatchOptions } from './batches'
export type { DatasetName, DatasetFiles, DatasetInfo } from './datasets'
export type { Normalization } from './normalization'
export type { Rng } from './random'
export type { DownloadProgress } from './progress'
export type { TransferOptions } from './transfer-options'
export type { MnistDataErrorCode, DownloadAttempt } from './errors'
