import type { LockWait } from './cache'
import type { DatasetInfo, DatasetName } from './datasets'
import { OptionError } from './errors'
import type { TransferOptions } from './transfer-options'

/**
 * Besides the shared download options: `verify: false` skips the check of local and cached files only (downloads are
 * always verified); `timeoutMs` defaults to MNIST_DOWNLOAD_TIMEOUT (seconds) and `retries` to MNIST_DOWNLOAD_RETRIES.
 */
export interface LoadMnistOptions extends TransferOptions {
  /** Default 'mnist'. 'custom' reads any folder with the four standard names (needs dataDir / MNIST_DATA_DIR). */
  dataset?: DatasetName
  /** Local folder with the four files (`.gz` or raw). Default: MNIST_DATA_DIR. When set, nothing is downloaded. */
  dataDir?: string
  /**
   * Base URL serving `<file>.gz`, or several tried in order; replaces the built-in mirrors.
   * Default: MNIST_MIRROR (one URL, or several separated by whitespace). Given as an option it also wins over
   * MNIST_DATA_DIR (an option beats the environment; `notes` in the result says so).
   */
  mirror?: string | readonly string[]
  /** Cache root; files live in `<cacheDir>/<dataset>/`. Default: MNIST_CACHE_DIR, then defaultCacheDir(). */
  cacheDir?: string
  /** Called when another process holds the cache lock (once per holder), before waiting for it. */
  onLockWait?: (wait: LockWait) => void
}

/** Where `loadMnist` reads from, and why, after options and environment are weighed. */
export interface SourceChoice {
  /** Local folder to read, or undefined to use the cache and mirrors. */
  dataDir: string | undefined
  /** What set the folder, for messages. */
  origin: string
  /** What was set but not used, in words, for `MnistData.notes`. */
  notes: string[]
}

export function env(name: string): string | undefined {
  const value = process.env[name]
  return value === undefined || value === '' ? undefined : value
}

/**
 * Options beat environment variables. `dataDir` and `mirror` are both sources: a `mirror` option wins over
 * MNIST_DATA_DIR (for the datasets that can be downloaded), a `dataDir` option over any mirror.
 */
export function chooseSource(info: Readonly<DatasetInfo>, options: LoadMnistOptions): SourceChoice {
  const notes: string[] = []
  const fromEnv = env('MNIST_DATA_DIR')
  if (options.dataDir !== undefined) {
    if (options.mirror !== undefined)
      notes.push('the mirror option was not used: a dataDir folder is never downloaded into')
    return { dataDir: options.dataDir, origin: 'dataDir option', notes }
  }
  if (fromEnv === undefined) return { dataDir: undefined, origin: '', notes }
  if (options.mirror !== undefined && info.name !== 'custom') {
    notes.push(
      `MNIST_DATA_DIR (${fromEnv}) was not used: the mirror option was given, and an option wins over the environment`,
    )
    return { dataDir: undefined, origin: '', notes }
  }
  if (options.mirror !== undefined) notes.push('the mirror option was not used: custom datasets are never downloaded')
  return { dataDir: fromEnv, origin: 'MNIST_DATA_DIR', notes }
}

export function nonNegativeInteger(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new OptionError(name, `expected a non-negative integer, got ${String(value)}`)
  }
  return value
}

/** A number from the environment: MNIST_DOWNLOAD_TIMEOUT is in seconds (fractions allowed), retries a count. */
function envNumber(name: string, scale: number, integer: boolean): number | undefined {
  const raw = env(name)
  if (raw === undefined) return undefined
  const n = Number(raw)
  if (!Number.isFinite(n) || n < 0 || (integer && !Number.isSafeInteger(n)) || raw.trim() === '') {
    throw new OptionError(name, `expected a non-negative ${integer ? 'integer' : 'number'}, got ${JSON.stringify(raw)}`)
  }
  return Math.round(n * scale)
}

/** The download settings, from options, then environment, then defaults. */
export function downloadSettings(options: LoadMnistOptions): {
  timeoutMs: number
  totalTimeoutMs: number
  retries: number
  retryDelayMs: number
} {
  const timeoutMs = nonNegativeInteger(
    'timeoutMs',
    options.timeoutMs,
    envNumber('MNIST_DOWNLOAD_TIMEOUT', 1000, false) ?? 30_000,
  )
  if (timeoutMs === 0) throw new OptionError('timeoutMs', 'expected a timeout of at least 1 ms, got 0')
  return {
    timeoutMs,
    totalTimeoutMs: nonNegativeInteger('totalTimeoutMs', options.totalTimeoutMs, 600_000),
    retries: nonNegativeInteger('retries', options.retries, envNumber('MNIST_DOWNLOAD_RETRIES', 1, true) ?? 3),
    retryDelayMs: nonNegativeInteger('retryDelayMs', options.retryDelayMs, 500),
  }
}

/** The mirrors to try: the option, else MNIST_MIRROR, else the dataset's own; each an absolute http(s) URL. */
export function mirrorsOf(info: Readonly<DatasetInfo>, options: LoadMnistOptions): readonly string[] {
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
  return mirrors
}

/** Default of `maxBytes`. */
export { DEFAULT_MAX_BYTES } from './idx-accumulator'
