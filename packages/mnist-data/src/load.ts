import { mkdir, readdir, readFile, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { defaultCacheDir, withDirLock } from './cache'
import { datasetInfo, type DatasetInfo, type DatasetName } from './datasets'
import { downloadFile, sha256Hex, type DownloadProgress } from './download'
import { ChecksumError, DatasetError, OptionError } from './errors'
import { inflateIfGzip, parseIdx, type IdxArray } from './idx'

export interface LoadMnistOptions {
  /** Default 'mnist'. 'custom' reads any folder with the four standard names (needs dataDir / MNIST_DATA_DIR). */
  dataset?: DatasetName
  /** Local folder with the four files (`.gz` or raw). Default: MNIST_DATA_DIR. When set, nothing is downloaded. */
  dataDir?: string
  /**
   * Base URL serving `<file>.gz`, or several tried in order; replaces the built-in mirrors.
   * Default: MNIST_MIRROR (one URL, or several separated by whitespace).
   */
  mirror?: string | readonly string[]
  /** Cache root; files live in `<cacheDir>/<dataset>/`. Default: MNIST_CACHE_DIR, then defaultCacheDir(). */
  cacheDir?: string
  /** Check the SHA-256 of every decompressed file (default true). Downloads are always verified. */
  verify?: boolean
  onProgress?: (p: DownloadProgress) => void
  signal?: AbortSignal
  /** Inactivity timeout per HTTP request in ms (default 30000). */
  timeoutMs?: number
  /** Extra tries per mirror after a failure that may be transient (default 3). */
  retries?: number
  /** First backoff delay in ms, doubled on every retry (default 500). */
  retryDelayMs?: number
}

export interface MnistSplit {
  /** count*rows*cols pixels, 0..255, row-major. */
  images: Uint8Array
  labels: Uint8Array
  count: number
  rows: number
  cols: number
}

export interface MnistData {
  dataset: DatasetName
  /** Absolute folder the files were read from. */
  dir: string
  source: 'dataDir' | 'cache' | 'download'
  /** Whether every file's SHA-256 was checked against the published value. */
  verified: boolean
  train: MnistSplit
  test: MnistSplit
}

const ROLES = ['trainImages', 'trainLabels', 'testImages', 'testLabels'] as const

function env(name: string): string | undefined {
  const value = process.env[name]
  return value === undefined || value === '' ? undefined : value
}

function nonNegativeInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new OptionError(name, `expected a non-negative integer, got ${String(value)}`)
  }
  return value
}

/** Finds `<name>` or `<name>.gz` in `dir` (raw first: it needs no inflating); undefined when neither exists. */
async function findFile(dir: string, name: string): Promise<string | undefined> {
  for (const candidate of [name, `${name}.gz`]) {
    const path = join(dir, candidate)
    try {
      if ((await stat(path)).isFile()) return path
    } catch {
      // Not there: try the other spelling.
    }
  }
  return undefined
}

async function missingFileError(dir: string, name: string, origin: string): Promise<DatasetError> {
  let listing: string
  try {
    const entries = (await readdir(dir)).filter((e) => !e.startsWith('.'))
    listing = entries.length === 0 ? 'the folder is empty' : `found ${entries.slice(0, 8).join(', ')}${entries.length > 8 ? ', ...' : ''}`
  } catch {
    listing = 'the folder does not exist'
  }
  return new DatasetError(
    'MNIST_FILE_MISSING',
    `${dir}: missing ${name}: expected ${name}.gz or ${name} in this folder (${origin}), ${listing}`,
    { file: join(dir, name) },
  )
}

interface RawFile {
  name: string
  path: string
  raw: Uint8Array
}

async function readRaw(path: string, name: string): Promise<RawFile> {
  let bytes: Uint8Array
  try {
    bytes = await readFile(path)
  } catch (error) {
    throw new DatasetError('MNIST_FILE_UNREADABLE', `${path}: cannot read: ${(error as Error).message}`, {
      file: path,
      cause: error,
    })
  }
  return { name, path, raw: await inflateIfGzip(bytes, path) }
}

function verifyRaw(info: Readonly<DatasetInfo>, file: RawFile, hint: string): void {
  const expected = info.sha256[file.name]
  if (expected === undefined) return
  const actual = sha256Hex(file.raw)
  if (actual !== expected) throw new ChecksumError(file.path, expected, actual, hint)
}

function shapeError(file: RawFile, expected: string, array: IdxArray): DatasetError {
  return new DatasetError(
    'MNIST_BAD_SHAPE',
    `${file.path}: expected ${expected}, got ${array.dtype} [${array.shape.join(', ')}]`,
    { file: file.path },
  )
}

function buildSplit(info: Readonly<DatasetInfo>, imagesFile: RawFile, labelsFile: RawFile): MnistSplit {
  const images = parseIdx(imagesFile.raw, imagesFile.path)
  const labels = parseIdx(labelsFile.raw, labelsFile.path)
  if (images.dtype !== 'uint8' || images.shape.length !== 3) {
    throw shapeError(imagesFile, 'uint8 images of shape [count, rows, cols]', images)
  }
  if (labels.dtype !== 'uint8' || labels.shape.length !== 1) {
    throw shapeError(labelsFile, 'uint8 labels of shape [count]', labels)
  }
  const [count, rows, cols] = images.shape as [number, number, number]
  if (labels.shape[0] !== count) {
    throw new DatasetError(
      'MNIST_COUNT_MISMATCH',
      `${labelsFile.path}: count mismatch: expected ${count} labels (as many as images in ${imagesFile.path}), got ${labels.shape[0]}`,
      { file: labelsFile.path },
    )
  }
  const labelData = labels.data as Uint8Array
  if (info.classes !== undefined) {
    for (let i = 0; i < labelData.length; i++) {
      if (labelData[i]! >= info.classes) {
        throw new DatasetError(
          'MNIST_LABEL_OUT_OF_RANGE',
          `${labelsFile.path}: label out of range: expected 0..${info.classes - 1} for ${info.name}, got ${labelData[i]} at index ${i}`,
          { file: labelsFile.path },
        )
      }
    }
  }
  return { images: images.data as Uint8Array, labels: labelData, count, rows, cols }
}

function assemble(
  info: Readonly<DatasetInfo>,
  dir: string,
  source: MnistData['source'],
  verified: boolean,
  files: RawFile[],
): MnistData {
  const [trainImages, trainLabels, testImages, testLabels] = files as [RawFile, RawFile, RawFile, RawFile]
  const train = buildSplit(info, trainImages, trainLabels)
  const test = buildSplit(info, testImages, testLabels)
  if (train.rows !== test.rows || train.cols !== test.cols) {
    throw new DatasetError(
      'MNIST_BAD_SHAPE',
      `${testImages.path}: expected ${train.rows}x${train.cols} images like ${trainImages.path}, got ${test.rows}x${test.cols}`,
      { file: testImages.path },
    )
  }
  return { dataset: info.name, dir, source, verified, train, test }
}

/**
 * Loads a dataset, verified. Source order: `dataDir` / MNIST_DATA_DIR (local folder, never downloads); otherwise
 * the cache `<cacheDir>/<dataset>/`; otherwise the files missing from the cache are downloaded (from `mirror` /
 * MNIST_MIRROR or the built-in mirrors) under a cross-process lock, verified, then renamed into the cache.
 */
export async function loadMnist(options: LoadMnistOptions = {}): Promise<MnistData> {
  const info = datasetInfo(options.dataset ?? 'mnist')
  const verify = options.verify ?? true
  const names = ROLES.map((role) => info.files[role])
  const dataDir = options.dataDir ?? env('MNIST_DATA_DIR')

  if (dataDir !== undefined) {
    const dir = resolve(dataDir)
    const origin = options.dataDir !== undefined ? 'dataDir option' : 'MNIST_DATA_DIR'
    const paths = await Promise.all(names.map((name) => findFile(dir, name)))
    for (let i = 0; i < names.length; i++) {
      if (paths[i] === undefined) throw await missingFileError(dir, names[i]!, origin)
    }
    const files = await Promise.all(names.map((name, i) => readRaw(paths[i]!, name)))
    if (verify) {
      for (const file of files) verifyRaw(info, file, `The folder ${dir} (${origin}) does not hold the published ${info.name} file.`)
    }
    return assemble(info, dir, 'dataDir', verify && info.name !== 'custom', files)
  }

  if (info.name === 'custom') {
    throw new DatasetError(
      'MNIST_CUSTOM_NEEDS_DIR',
      'dataset "custom": expected a folder via the dataDir option or MNIST_DATA_DIR, got neither',
    )
  }

  const root = resolve(options.cacheDir ?? env('MNIST_CACHE_DIR') ?? defaultCacheDir())
  const dir = join(root, info.name)
  const mirrorOption = options.mirror ?? env('MNIST_MIRROR')
  const mirrors: readonly string[] =
    mirrorOption === undefined
      ? info.mirrors
      : typeof mirrorOption === 'string'
        ? mirrorOption.split(/\s+/).filter((m) => m !== '')
        : mirrorOption
  if (mirrors.length === 0) throw new OptionError('mirror', 'expected at least one mirror URL, got none')
  for (const m of mirrors) {
    let url: URL
    try {
      url = new URL(m)
    } catch {
      throw new OptionError('mirror', `expected an absolute http(s) URL, got ${JSON.stringify(m)}`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new OptionError('mirror', `expected an http: or https: URL, got ${JSON.stringify(m)}`)
    }
  }
  const timeoutMs = nonNegativeInteger('timeoutMs', options.timeoutMs, 30_000)
  const retries = nonNegativeInteger('retries', options.retries, 3)
  const retryDelayMs = nonNegativeInteger('retryDelayMs', options.retryDelayMs, 500)
  const cacheHint = (path: string): string =>
    `The cached copy is damaged or was replaced; delete ${path} and run again to download it afresh.`

  const readCached = async (): Promise<Array<string | undefined>> =>
    Promise.all(names.map((name) => findFile(dir, name)))

  let paths = await readCached()
  let downloaded = new Map<string, RawFile>()
  if (paths.some((p) => p === undefined)) {
    try {
      await mkdir(dir, { recursive: true })
    } catch (error) {
      throw new DatasetError('MNIST_FILE_UNREADABLE', `${dir}: cannot create the cache folder: ${(error as Error).message}`, {
        cause: error,
      })
    }
    downloaded = await withDirLock(
      dir,
      async () => {
        // Another process may have filled the cache while this one waited for the lock.
        paths = await readCached()
        const got = new Map<string, RawFile>()
        for (let i = 0; i < names.length; i++) {
          if (paths[i] !== undefined) continue
          const name = names[i]!
          const file = await downloadFile({
            file: name,
            mirrors,
            destDir: dir,
            sha256: info.sha256[name],
            timeoutMs,
            retries,
            retryDelayMs,
            ...(options.signal ? { signal: options.signal } : {}),
            ...(options.onProgress ? { onProgress: options.onProgress } : {}),
          })
          paths[i] = file.path
          got.set(name, { name, path: file.path, raw: file.raw })
        }
        return got
      },
      options.signal,
    )
  }
  const files = await Promise.all(
    names.map(async (name, i) => {
      const fresh = downloaded.get(name)
      if (fresh) return fresh
      const file = await readRaw(paths[i]!, name)
      if (verify) verifyRaw(info, file, cacheHint(file.path))
      return file
    }),
  )
  const verified = verify || downloaded.size === names.length
  return assemble(info, dir, downloaded.size > 0 ? 'download' : 'cache', verified, files)
}
