import { IMAGE_SIDE, type DatasetInfo, type DatasetName } from './datasets'
import { DatasetError } from './errors'
import type { IdxArray } from './idx'

/** One split: images and labels, checked against each other and the dataset. */
export interface MnistSplit {
  /** count*rows*cols pixels, 0..255, row-major. */
  images: Uint8Array
  labels: Uint8Array
  count: number
  rows: number
  cols: number
}

/** A loaded dataset: what loadMnist (Node) and fetchMnist (any platform) return. */
export interface MnistData {
  dataset: DatasetName
  /** Absolute folder the files were read from (loadMnist in Node), or the base URL they were fetched from (fetchMnist). */
  dir: string
  /** `download` for fetchMnist (and the browser entry's loadMnist), which never caches. */
  source: 'dataDir' | 'cache' | 'download'
  /** Whether every file's SHA-256 was checked against the published value. */
  verified: boolean
  train: MnistSplit
  test: MnistSplit
  /** Settings that were given but not used, and why (e.g. MNIST_DATA_DIR when a mirror option won); usually empty. */
  notes: string[]
}

/** A parsed file and where it came from. */
export interface ParsedFile {
  name: string
  path: string
  array: IdxArray
  sha256: string
}

export type ImageSize = { rows: number; cols: number } | 'any'

function shapeError(file: ParsedFile, expected: string): DatasetError {
  const { dtype, shape } = file.array
  return new DatasetError('DATA_BAD_SHAPE', `${file.path}: expected ${expected}, got ${dtype} [${shape.join(', ')}]`, {
    file: file.path,
  })
}

/** The first label outside 0..classes-1, named by file and index: it would train on a wrong target. */
function checkLabels(info: Readonly<DatasetInfo>, file: ParsedFile, labels: Uint8Array): void {
  if (info.classes === undefined) return
  for (let i = 0; i < labels.length; i++) {
    if (labels[i]! >= info.classes) {
      throw new DatasetError(
        'DATA_LABEL_OUT_OF_RANGE',
        `${file.path}: label out of range: expected 0..${info.classes - 1} for ${info.name}, ` +
          `got ${labels[i]} at index ${i}`,
        { file: file.path },
      )
    }
  }
}

export function buildSplit(
  info: Readonly<DatasetInfo>,
  imagesFile: ParsedFile,
  labelsFile: ParsedFile,
  size: ImageSize,
): MnistSplit {
  const images = imagesFile.array
  const labels = labelsFile.array
  if (images.dtype !== 'uint8' || images.shape.length !== 3) {
    throw shapeError(imagesFile, 'uint8 images of shape [count, rows, cols]')
  }
  if (labels.dtype !== 'uint8' || labels.shape.length !== 1)
    throw shapeError(labelsFile, 'uint8 labels of shape [count]')
  const [count, rows, cols] = images.shape as [number, number, number]
  if (size !== 'any' && (rows !== size.rows || cols !== size.cols)) {
    throw new DatasetError(
      'DATA_BAD_SHAPE',
      `${imagesFile.path}: expected ${size.rows}x${size.cols} images` +
        `${size.rows === IMAGE_SIDE && size.cols === IMAGE_SIDE ? ' (the models take 28x28x1)' : ''}` +
        `, got ${rows}x${cols}` +
        " (the imageSize option 'any' loads other sizes)",
      { file: imagesFile.path },
    )
  }
  if (labels.shape[0] !== count) {
    throw new DatasetError(
      'DATA_COUNT_MISMATCH',
      `${labelsFile.path}: count mismatch: expected ${count} labels (as many as images in ${imagesFile.path}), got ${labels.shape[0]}`,
      { file: labelsFile.path },
    )
  }
  const labelData = labels.data as Uint8Array
  checkLabels(info, labelsFile, labelData)
  return { images: images.data as Uint8Array, labels: labelData, count, rows, cols }
}

/** Train and test splits of the four files (in role order), which must agree in image size. */
export function buildSplits(
  info: Readonly<DatasetInfo>,
  files: ParsedFile[],
  size: ImageSize,
): { train: MnistSplit; test: MnistSplit } {
  const [trainImages, trainLabels, testImages, testLabels] = files as [ParsedFile, ParsedFile, ParsedFile, ParsedFile]
  const train = buildSplit(info, trainImages, trainLabels, size)
  const test = buildSplit(info, testImages, testLabels, size)
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new DatasetError(
      'DATA_BAD_SHAPE',
      `${testImages.path}: expected ${train.rows}x${train.cols} images like ${trainImages.path}, got ${test.rows}x${test.cols}`,
      { file: testImages.path },
    )
  }
  return { train, test }
}
