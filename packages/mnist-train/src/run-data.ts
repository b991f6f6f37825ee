import type { DatasetName, MnistSplit } from '@mnist/data'
import { normalizationFor, type Normalization } from '@mnist/data/stats'
import { fingerprint } from './fingerprint'
import type { LoadedCheckpoint } from './checkpoint-format'
import { CheckpointError, InvalidTrainConfigError, TrainDataError } from './errors'
import type { TrainOptions } from './options'

/** The images a run trains and tests on. */
export interface RunData {
  dataset: DatasetName
  /** Where the data came from (`dataDir`, `cache`, `download`, or `memory`). */
  source: string
  /** The first `trainCount` training images and labels. */
  train: { images: Uint8Array; labels: Uint8Array; rows: number; cols: number }
  trainCount: number
  /** What each epoch is evaluated on: the test set, or the held-out training images (`validation` > 0). */
  test: MnistSplit
  testCount: number
  /** Training images held out for evaluation (the last ones of the split); 0: evaluate on the test set. */
  validation: number
  /** Of the training images and labels used: resume refuses other data. */
  fingerprint: string
  normalization: Normalization
}

/** The splits a run draws from, as loaded (or as given in `options.data`), before they are cut to the run's counts. */
export interface LoadedSplits {
  dataset: DatasetName
  /** Where they came from (`dataDir`, `cache`, `download`, or `memory`). */
  source: string
  train: MnistSplit
  test: MnistSplit
}

/** Loads the splits when `options.data` does not give them (Node: `loadMnist`); gets the resumed run's dataset. */
export type SplitsLoader = (options: TrainOptions, dataset: DatasetName | undefined) => Promise<LoadedSplits>

/**
 * Takes `options.data` (or loads the data with `load`) and cuts it to the run's counts; a resumed run gets the
 * checkpoint's counts and must find the same data (CheckpointError naming `resumeName` otherwise).
 */
export async function loadRunData(
  options: TrainOptions,
  resumed: LoadedCheckpoint | undefined,
  load: SplitsLoader,
  resumeName: string | undefined,
): Promise<RunData> {
  const loaded: LoadedSplits = options.data
    ? { dataset: options.data.dataset ?? 'mnist', source: 'memory', train: options.data.train, test: options.data.test }
    : await load(options, resumed?.state.dataset as DatasetName | undefined)
  const validation = resumed ? (resumed.state.validation ?? 0) : pickValidation(options.validation, loaded.train.count)
  const evaluated = validation > 0 ? lastImages(loaded.train, validation) : loaded.test
  const trainAvailable = loaded.train.count - validation
  const trainCount = resumed ? resumed.state.trainCount : pickCount('limit', options.limit, trainAvailable)
  const testCount = resumed ? resumed.state.testCount : pickCount('testLimit', options.testLimit, evaluated.count)
  if (trainCount > trainAvailable || testCount > evaluated.count) {
    // With validation, the last `validation` training images are evaluated and are not trained on.
    const split = validation > 0 ? 'validation' : 'test'
    throw new CheckpointError(
      resumeName!,
      `the checkpoint trained on ${trainCount} images and evaluated ${testCount} ${split} images; ` +
        `this dataset has ${trainAvailable} training / ${evaluated.count} ${split} images`,
    )
  }
  const { rows, cols } = loaded.train
  const images = loaded.train.images.subarray(0, trainCount * rows * cols)
  const labels = loaded.train.labels.subarray(0, trainCount)
  const data: RunData = {
    dataset: loaded.dataset,
    source: loaded.source,
    train: { images, labels, rows, cols },
    trainCount,
    test: { ...evaluated },
    testCount,
    validation,
    fingerprint: fingerprint(images, labels),
    normalization: normalizationFor(loaded.dataset),
  }
  if (resumed && (resumed.state.dataset !== data.dataset || resumed.state.dataFingerprint !== data.fingerprint)) {
    throw new CheckpointError(
      resumeName!,
      `the checkpoint was trained on different data ` +
        `(${resumed.state.dataset}, fingerprint ${resumed.state.dataFingerprint}); ` +
        `found ${data.dataset}, fingerprint ${data.fingerprint}`,
    )
  }
  return data
}

/** The last `count` images of a split (a view, no copy). */
function lastImages(split: MnistSplit, count: number): MnistSplit {
  const size = split.rows * split.cols
  const from = split.count - count
  return {
    images: split.images.subarray(from * size, split.count * size),
    labels: split.labels.subarray(from, split.count),
    count,
    rows: split.rows,
    cols: split.cols,
  }
}

function pickValidation(value: number | undefined, available: number): number {
  if (value === undefined || value === 0) return 0
  if (!(Number.isSafeInteger(value) && value >= 1 && value < available)) {
    throw new InvalidTrainConfigError(
      'validation',
      `an integer in [0, ${available - 1}] (training images held out)`,
      value,
    )
  }
  return value
}

function pickCount(option: string, value: number | undefined, available: number): number {
  if (value === undefined) return available
  if (!(Number.isSafeInteger(value) && value >= 1 && value <= available)) {
    throw new InvalidTrainConfigError(option, `an integer in [1, ${available}] (images available)`, value)
  }
  return value
}

/**
 * Refuses data the model cannot train on, naming the split and index: a label outside [0, classes) (it would spill
 * into the next example's one-hot target on some backends) or images of another size than the model's input.
 */
export function checkRunData(data: RunData, classes: number, inputShape: readonly (number | null)[]): void {
  const [rows, cols] = inputShape.slice(1, 3)
  for (const [name, split, count] of [
    ['train', data.train, data.trainCount],
    ['test', data.test, data.testCount],
  ] as const) {
    if (split.rows !== rows || split.cols !== cols) {
      throw new TrainDataError(`${name} images`, `are ${split.rows}x${split.cols}; the model takes ${rows}x${cols}`)
    }
    const labels = split.labels
    for (let i = 0; i < count; i++) {
      if (labels[i]! >= classes) {
        const expected = `expected a class index in [0, ${classes - 1}]`
        throw new TrainDataError(`${name}.labels[${i}]`, `is ${labels[i]}: ${expected}`)
      }
    }
  }
}
