// Public surface of @mnist/data. Re-exports only: no logic, no side effects.
export { parseIdx, encodeIdx, isGzip, gunzipBytes } from './idx'
export { loadMnist } from './load'
export { batches, shuffledIndices, normalizeImages, computeNormalization, mulberry32 } from './batches'
export { DATASETS, normalizationFor } from './datasets'
export { defaultCacheDir } from './cache'
export {
  MnistDataError,
  IdxFormatError,
  ChecksumError,
  DownloadError,
  DatasetError,
  OptionError,
  CacheLockError,
} from './errors'

export type { IdxArray, IdxData, IdxDType } from './idx'
export type { LoadMnistOptions, MnistData, MnistSplit } from './load'
export type { Batch, BatchOptions } from './batches'
export type { DatasetName, DatasetFiles, DatasetInfo, Normalization } from './datasets'
export type { DownloadProgress } from './download'
export type { MnistDataErrorCode, DownloadAttempt } from './errors'
