import { OptionError } from './errors'
import { FASHION_MNIST_NORMALIZATION, MNIST_NORMALIZATION, type Normalization } from './normalization'

/** Built-in datasets with published checksums, plus `custom` (any folder holding the four standard names). */
export type DatasetName = 'mnist' | 'fashion-mnist' | 'custom'

/** The four files of every dataset, by role. Names are without `.gz`; both forms are accepted on disk. */
export interface DatasetFiles {
  trainImages: string
  trainLabels: string
  testImages: string
  testLabels: string
}

export interface DatasetInfo {
  name: DatasetName
  files: DatasetFiles
  /** SHA-256 (hex) of each DECOMPRESSED file, keyed by file name; empty for `custom` (not verified). */
  sha256: Readonly<Record<string, string>>
  /** Base URLs (ending in `/`) serving `<file>.gz`, tried in order. */
  mirrors: readonly string[]
  /** Expected sample counts, or undefined when any count is accepted. */
  counts: { train: number; test: number } | undefined
  /** Number of classes: labels must be in 0..classes-1 (10 for every dataset, custom too: the models have 10 outputs). */
  classes: number | undefined
  normalization: Normalization
}

const STANDARD_FILES: DatasetFiles = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
}

/** Everything the package knows about each dataset. Frozen: treat it as read-only. */
export const DATASETS: Readonly<Record<DatasetName, Readonly<DatasetInfo>>> = Object.freeze({
  mnist: Object.freeze({
    name: 'mnist',
    files: STANDARD_FILES,
    sha256: Object.freeze({
      'train-images-idx3-ubyte': 'ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db',
      'train-labels-idx1-ubyte': '65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5',
      't10k-images-idx3-ubyte': '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
      't10k-labels-idx1-ubyte': 'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
    }),
    mirrors: Object.freeze([
      'https://ossci-datasets.s3.amazonaws.com/mnist/',
      'https://storage.googleapis.com/cvdf-datasets/mnist/',
      'https://raw.githubusercontent.com/fgnt/mnist/master/',
    ]),
    counts: { train: 60000, test: 10000 },
    classes: 10,
    normalization: MNIST_NORMALIZATION,
  }),
  'fashion-mnist': Object.freeze({
    name: 'fashion-mnist',
    files: STANDARD_FILES,
    sha256: Object.freeze({
      'train-images-idx3-ubyte': 'c59f468a2f672dc815687fe0f83887768d799fd8a3f3276145d20f83aa44d888',
      'train-labels-idx1-ubyte': 'bad3541b69d912435c50bb6ba87bec294ff4f6a2e1246121d8633921760443d9',
      't10k-images-idx3-ubyte': '5b4141f0afbad91edebe8549f8fcffe087ea10ca49f1dbef5c9a5cd8815ce37b',
      't10k-labels-idx1-ubyte': '0402a96d92fd2663957122ceb108a494c5af83dab82d92729df917d7dec38c34',
    }),
    mirrors: Object.freeze([
      'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
      'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
    ]),
    counts: { train: 60000, test: 10000 },
    classes: 10,
    normalization: FASHION_MNIST_NORMALIZATION,
  }),
  custom: Object.freeze({
    name: 'custom',
    files: STANDARD_FILES,
    sha256: Object.freeze({}),
    mirrors: Object.freeze([]),
    counts: undefined,
    // The models have ten outputs: a label of 10 or more would train on the next example's target.
    classes: 10,
    // Unknown data: scale to [0, 1] only. Pass computeNormalization(train.images) for real statistics.
    normalization: Object.freeze({ mean: 0, std: 1 }),
  }),
})

/** Looks a dataset up by name, with a typed error for unknown names. */
export function datasetInfo(dataset: string): Readonly<DatasetInfo> {
  if (!Object.prototype.hasOwnProperty.call(DATASETS, dataset)) {
    throw new OptionError(
      'dataset',
      `unknown dataset: expected one of ${Object.keys(DATASETS).join(', ')}, got ${JSON.stringify(dataset)}`,
    )
  }
  return DATASETS[dataset as DatasetName]
}

/** The normalisation constants batches() uses for a dataset: mnist 0.1307/0.3081, fashion-mnist 0.2860/0.3530, custom 0/1. */
export function normalizationFor(dataset: DatasetName): Normalization {
  const { mean, std } = datasetInfo(dataset).normalization
  return { mean, std }
}

/** Side of the square images of every dataset: what the models take (28x28x1). */
export const IMAGE_SIDE = 28

/**
 * Decompressed size in bytes of one published file of a built-in dataset (IDX header of 16 bytes plus 28x28 bytes per
 * image, or 8 bytes plus one per label); undefined for `custom`, whose sizes are whatever its headers say.
 */
export function publishedBytes(info: Readonly<DatasetInfo>, role: keyof DatasetFiles): number | undefined {
  if (info.counts === undefined) return undefined
  const count = role.startsWith('train') ? info.counts.train : info.counts.test
  return role.endsWith('Images') ? 16 + count * IMAGE_SIDE * IMAGE_SIDE : 8 + count
}
