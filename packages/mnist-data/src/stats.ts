// Public surface of @mnist/data/stats: dataset statistics, normalisation and the seeded RNG. Re-exports only.
// Browser-safe: nothing here (or imported from here) touches node:*, so @mnist/model can depend on it in a bundle.
export {
  MNIST_NORMALIZATION,
  FASHION_MNIST_NORMALIZATION,
  normalizeImages,
  computeNormalization,
} from './normalization'
export { normalizationFor } from './datasets'
export { mulberry32, mixSeed, createRng } from './random'
export { shuffledIndices } from './batches'
export { MnistDataError, OptionError } from './errors'

export type { Normalization } from './normalization'
export type { DatasetName } from './datasets'
export type { Rng } from './random'
