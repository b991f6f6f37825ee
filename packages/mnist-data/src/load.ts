import { mkdir, readdir, stat } from 'node:fs/promises'
import { join, resolve } from 'node:path'
import { defaultCacheDir, removeStaleTemps, withDirLock } from './cache'
import { datasetInfo, IMAGE_SIDE, publishedBytes, type DatasetInfo } from './datasets'
import { downloadFile } from './download'
import { cacheWriteError, ChecksumError, DatasetError, OptionError } from './errors'
import type { ByteBudget, IdxLimits } from './idx-stream'
import {
  chooseSource,
  DEFAULT_MAX_BYTES,
  downloadSettings,
  env,
  mirrorsOf,
  nonNegativeInteger,
  type LoadMnistOptions,
} from './load-options'
import { readIdxFile } from './read-file'
import { buildSplits, type ImageSize, type MnistData, type ParsedFile } from './splits'

export type { LoadMnistOptions } from './load-options'
export type { MnistData, MnistSplit } from './splits'

const ROLES = ['trainImages', 'trainLabels', 'testImages', 'testLabels'] as const

/** Finds `<name>` or `<name>.gz` in `dir` (raw first: it needs no inflating); undefined when neither exists. */
async function findFile(dir: string, name: string): Promise<string | undefined> {
  for (const candidate of [name, `${name}.gz`]) {
    const path = join(dir, candidate)
    // Anything by that name counts (a FIFO or a device too): reading it then says what it is instead of "missing".
    if (
      await stat(path).then(
        () => true,
        () => false,
      )
    )
      return path
  }
  return undefined
}

async function missingFileError(dir: string, name: string, origin: string): Promise<DatasetError> {
  let listing: string
  try {
    const entries = (await readdir(dir)).filter((e) => !e.startsWith('.'))
    listing =
      entries.length === 0
        ? 'the folder is empty'
        : `found ${entries.slice(0, 8).join(', ')}${entries.length > 8 ? ', ...' : ''}`
  } catch {
    listing = 'the folder does not exist'
  }
  return new DatasetError(
    'DATA_FILE_MISSING',
    `${dir}: missing ${name}: expected ${name}.gz or ${name} in this folder (${origin}), ${listing}`,
    { file: join(dir, name) },
  )
}

/** Per-file limits: the published size when it is checked anyway (built-in dataset, verify on), else the budget. */
function limitsFor(info: Readonly<DatasetInfo>, index: number, exact: boolean, budget: ByteBudget): IdxLimits {
  const role = ROLES[index]!
  const bytes = exact ? publishedBytes(info, role) : undefined
  if (bytes === undefined) return { budget }
  return { exactBytes: bytes, exactWhat: `the published ${info.name} ${info.files[role]}`, budget }
}

async function readParsed(path: string, name: string, limits: IdxLimits): Promise<ParsedFile> {
  const { array, sha256 } = await readIdxFile(path, limits)
  return { name, path, array, sha256 }
}

function verifyParsed(info: Readonly<DatasetInfo>, file: ParsedFile, hint: string): void {
  const expected = info.sha256[file.name]
  if (expected !== undefined && file.sha256 !== expected)
    throw new ChecksumError(file.path, expected, file.sha256, hint)
}

interface Common {
  info: Readonly<DatasetInfo>
  names: string[]
  verify: boolean
  budget: ByteBudget
  size: ImageSize
  notes: string[]
}

async function loadFromFolder(c: Common, dataDir: string, origin: string): Promise<MnistData> {
  const { info, names, verify, budget } = c
  const dir = resolve(dataDir)
  const paths = await Promise.all(names.map((name) => findFile(dir, name)))
  for (let i = 0; i < names.length; i++) {
    if (paths[i] === undefined) throw await missingFileError(dir, names[i]!, origin)
  }
  const files = await Promise.all(
    names.map((name, i) => readParsed(paths[i]!, name, limitsFor(info, i, verify, budget))),
  )
  if (verify) {
    for (const file of files)
      verifyParsed(info, file, `The folder ${dir} (${origin}) does not hold the published ${info.name} file.`)
  }
  const verified = verify && info.name !== 'custom'
  return { dataset: info.name, dir, source: 'dataDir', verified, ...buildSplits(info, files, c.size), notes: c.notes }
}

async function makeCacheDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true })
  } catch (error) {
    throw (
      cacheWriteError(dir, error) ??
      new DatasetError('DATA_FILE_UNREADABLE', `${dir}: cannot create the cache folder: ${(error as Error).message}`, {
        cause: error,
      })
    )
  }
}

/** Downloads the files missing from the cache folder `dir` under its lock; returns them, parsed and verified. */
async function downloadMissing(
  c: Common,
  dir: string,
  paths: Array<string | undefined>,
  options: LoadMnistOptions,
): Promise<Map<string, ParsedFile>> {
  const mirrors = mirrorsOf(c.info, options)
  const settings = downloadSettings(options)
  await makeCacheDir(dir)
  return withDirLock(
    dir,
    async () => {
      await removeStaleTemps(dir)
      // Another process may have filled the cache while this one waited for the lock.
      const now = await Promise.all(c.names.map((name) => findFile(dir, name)))
      const got = new Map<string, ParsedFile>()
      const stalled = new Set<string>()
      for (let i = 0; i < c.names.length; i++) {
        paths[i] = now[i]
        if (paths[i] !== undefined) continue
        const name = c.names[i]!
        const file = await downloadFile({
          file: name,
          mirrors,
          destDir: dir,
          sha256: c.info.sha256[name],
          limits: limitsFor(c.info, i, true, c.budget),
          ...settings,
          stalled,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(options.onProgress ? { onProgress: options.onProgress } : {}),
        })
        paths[i] = file.path
        got.set(name, { name, path: file.path, array: file.parsed.array, sha256: file.parsed.sha256 })
      }
      return got
    },
    options.signal,
    options.onLockWait,
  )
}

async function loadFromCache(c: Common, options: LoadMnistOptions): Promise<MnistData> {
  const { info, names, verify, budget } = c
  const root = resolve(options.cacheDir ?? env('MNIST_CACHE_DIR') ?? defaultCacheDir())
  const dir = join(root, info.name)
  const cacheHint = (path: string): string =>
    `The cached copy is damaged or was replaced; delete ${path} and run again to download it afresh.`
  // Options are checked before anything is read, even when the cache is complete.
  mirrorsOf(info, options)
  downloadSettings(options)
  const paths = await Promise.all(names.map((name) => findFile(dir, name)))
  const downloaded = paths.some((p) => p === undefined) ? await downloadMissing(c, dir, paths, options) : new Map()
  const files = await Promise.all(
    names.map(async (name, i) => {
      const fresh = downloaded.get(name)
      if (fresh) return fresh
      const file = await readParsed(paths[i]!, name, limitsFor(info, i, verify, budget))
      if (verify) verifyParsed(info, file, cacheHint(file.path))
      return file
    }),
  )
  const verified = verify || downloaded.size === names.length
  const source = downloaded.size > 0 ? 'download' : 'cache'
  return { dataset: info.name, dir, source, verified, ...buildSplits(info, files, c.size), notes: c.notes }
}

function imageSizeOf(options: LoadMnistOptions): ImageSize {
  const size = options.imageSize ?? { rows: IMAGE_SIDE, cols: IMAGE_SIDE }
  if (size === 'any') return size
  if (!(Number.isSafeInteger(size.rows) && size.rows > 0 && Number.isSafeInteger(size.cols) && size.cols > 0)) {
    throw new OptionError('imageSize', `expected 'any' or positive integer rows and cols, got ${JSON.stringify(size)}`)
  }
  return size
}

/**
 * Loads a dataset, verified. Source order: `dataDir` / MNIST_DATA_DIR (local folder, never downloads; a `mirror`
 * option wins over MNIST_DATA_DIR); otherwise the cache `<cacheDir>/<dataset>/`; otherwise the files missing from the
 * cache are downloaded (from `mirror` / MNIST_MIRROR or the built-in mirrors) under a cross-process lock, verified,
 * then renamed into the cache. Every file is parsed as it streams, within its known size or the `maxBytes` budget.
 */
export async function loadMnist(options: LoadMnistOptions = {}): Promise<MnistData> {
  const info = datasetInfo(options.dataset ?? 'mnist')
  const source = chooseSource(info, options)
  const common: Common = {
    info,
    names: ROLES.map((role) => info.files[role]),
    verify: options.verify ?? true,
    budget: { limit: nonNegativeInteger('maxBytes', options.maxBytes, DEFAULT_MAX_BYTES), used: 0 },
    size: imageSizeOf(options),
    notes: source.notes,
  }
  if (source.dataDir !== undefined) return loadFromFolder(common, source.dataDir, source.origin)
  if (info.name === 'custom') {
    throw new DatasetError(
      'DATA_CUSTOM_NEEDS_DIR',
      'dataset "custom": expected a folder via the dataDir option or MNIST_DATA_DIR, got neither',
    )
  }
  return loadFromCache(common, options)
}
