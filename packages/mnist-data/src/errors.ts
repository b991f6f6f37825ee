/** Every stable error code @mnist/data throws. Branch on `code`, never on message text. */
export type MnistDataErrorCode =
  | 'DATA_IDX_BAD_MAGIC'
  | 'DATA_IDX_BAD_TYPE'
  | 'DATA_IDX_BAD_RANK'
  | 'DATA_IDX_TRUNCATED_HEADER'
  | 'DATA_IDX_TRUNCATED_DATA'
  | 'DATA_IDX_TRAILING_BYTES'
  | 'DATA_IDX_DIM_OVERFLOW'
  | 'DATA_GZIP_CORRUPT'
  | 'DATA_GZIP_TRUNCATED'
  | 'DATA_CHECKSUM_MISMATCH'
  | 'DATA_DOWNLOAD_FAILED'
  | 'DATA_DOWNLOAD_ABORTED'
  | 'DATA_FILE_MISSING'
  | 'DATA_FILE_UNREADABLE'
  | 'DATA_CUSTOM_NEEDS_DIR'
  | 'DATA_BAD_SHAPE'
  | 'DATA_COUNT_MISMATCH'
  | 'DATA_LABEL_OUT_OF_RANGE'
  | 'DATA_BAD_OPTION'
  | 'DATA_CACHE_LOCK'
  | 'DATA_IDX_EMPTY'
  | 'DATA_IDX_TOO_LARGE'
  | 'DATA_NOT_A_FILE'
  | 'DATA_DISK_FULL'
  | 'DATA_CACHE_UNWRITABLE'

/** Base class: catch this one to handle every failure @mnist/data throws. */
export class MnistDataError extends Error {
  override name = 'MnistDataError'
  readonly code: MnistDataErrorCode

  constructor(code: MnistDataErrorCode, message: string, options?: { cause?: unknown }) {
    super(`[@mnist/data] ${message}`, options?.cause !== undefined ? { cause: options.cause } : undefined)
    this.code = code
  }
}

type IdxCode = Extract<MnistDataErrorCode, `DATA_IDX_${string}` | `DATA_GZIP_${string}`>

/** The bytes are not a valid (optionally gzip-compressed) IDX file. `file` names the input. */
export class IdxFormatError extends MnistDataError {
  override name = 'IdxFormatError'
  readonly file: string

  constructor(code: IdxCode, file: string, detail: string, options?: { cause?: unknown }) {
    super(code, `${file}: ${detail}`, options)
    this.file = file
  }
}

/** The SHA-256 of a file's decompressed payload is not the published one. */
export class ChecksumError extends MnistDataError {
  override name = 'ChecksumError'
  readonly file: string
  readonly expected: string
  readonly actual: string

  constructor(file: string, expected: string, actual: string, hint: string) {
    super(
      'DATA_CHECKSUM_MISMATCH',
      `${file}: checksum mismatch: expected SHA-256 ${expected} of the decompressed file, got ${actual}. ${hint}`,
    )
    this.file = file
    this.expected = expected
    this.actual = actual
  }
}

/** One failed try of one URL, kept on DownloadError for diagnostics. */
export interface DownloadAttempt {
  url: string
  /** 1 for the first try of this URL; 0 when the URL was skipped (its mirror timed out on an earlier file). */
  attempt: number
  reason: string
}

const OFFLINE_HINT =
  'point MNIST_DATA_DIR (or the dataDir option) at a folder with the four files, ' +
  'or MNIST_MIRROR (the mirror option) at a reachable copy'

/**
 * The message of a failed download; when a host name did not resolve (offline, most likely) the hint leads; when every
 * mirror answered with a bad payload the network is fine, so there is no offline hint at all.
 */
function downloadFailedMessage(file: string, attempts: DownloadAttempt[], offline: boolean, payload: boolean): string {
  const lines = attempts
    .map((a) => `\n  - ${a.url} (${a.attempt === 0 ? 'skipped' : `try ${a.attempt}`}): ${a.reason}`)
    .join('')
  const tries = `${attempts.length} failed ${attempts.length === 1 ? 'try' : 'tries'}`
  if (payload) {
    return (
      `${file}: every mirror served a file that failed verification; nothing was written to the cache ` +
      `(expected the published file, got ${tries}):${lines}`
    )
  }
  if (offline) {
    return (
      `${file}: download failed, a mirror's host name did not resolve. Offline? ${OFFLINE_HINT}. ` +
      `Tried (expected a verified file, got ${tries}):${lines}`
    )
  }
  return (
    `${file}: download failed from every mirror (expected a verified file, got ${tries}):` +
    `${lines}\n  offline? ${OFFLINE_HINT}`
  )
}

/** Every mirror (and every retry) failed for one file, or the download was aborted. */
export class DownloadError extends MnistDataError {
  override name = 'DownloadError'
  readonly file: string
  readonly attempts: DownloadAttempt[]

  /** `offline`: some host name did not resolve, so the message starts with how to work offline. */
  constructor(
    file: string,
    attempts: DownloadAttempt[],
    options?: {
      cause?: unknown
      code?: 'DATA_DOWNLOAD_FAILED' | 'DATA_DOWNLOAD_ABORTED'
      message?: string
      offline?: boolean
      /** Every try got a payload that failed verification (too large, corrupt, wrong hash). */
      payload?: boolean
    },
  ) {
    super(
      options?.code ?? 'DATA_DOWNLOAD_FAILED',
      options?.message ?? downloadFailedMessage(file, attempts, options?.offline ?? false, options?.payload ?? false),
      options,
    )
    this.file = file
    this.attempts = attempts
  }
}

type DatasetCode = Extract<
  MnistDataErrorCode,
  | 'DATA_FILE_MISSING'
  | 'DATA_FILE_UNREADABLE'
  | 'DATA_CUSTOM_NEEDS_DIR'
  | 'DATA_BAD_SHAPE'
  | 'DATA_COUNT_MISMATCH'
  | 'DATA_LABEL_OUT_OF_RANGE'
  | 'DATA_NOT_A_FILE'
>

/** The files parse, but do not form a usable dataset: missing files, wrong shapes, counts that disagree, bad labels. */
export class DatasetError extends MnistDataError {
  override name = 'DatasetError'
  readonly file: string | undefined

  constructor(code: DatasetCode, message: string, options?: { cause?: unknown; file?: string }) {
    super(code, message, options)
    this.file = options?.file
  }
}

/** An option or argument has a value the package cannot use. */
export class OptionError extends MnistDataError {
  override name = 'OptionError'
  readonly option: string

  constructor(option: string, message: string) {
    super('DATA_BAD_OPTION', `${option}: ${message}`)
    this.option = option
  }
}

/** The cache lock could not be taken or was lost while held. */
export class CacheLockError extends MnistDataError {
  override name = 'CacheLockError'
  readonly lockPath: string

  constructor(lockPath: string, message: string, options?: { cause?: unknown }) {
    super('DATA_CACHE_LOCK', `${lockPath}: ${message}`, options)
    this.lockPath = lockPath
  }
}

/** A disk error that rules out the cache for now (full, read-only, no permission). Never retried: not the network. */
export class CacheWriteError extends MnistDataError {
  override name = 'CacheWriteError'
  readonly dir: string

  constructor(
    code: 'DATA_DISK_FULL' | 'DATA_CACHE_UNWRITABLE',
    dir: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(code, `${dir}: ${message}`, options)
    this.dir = dir
  }
}

/** Error codes of a file system that is full or refuses writes; anything else is treated as transient. */
const DISK_FULL = new Set(['ENOSPC', 'EDQUOT'])
const UNWRITABLE = new Set(['EROFS', 'EACCES', 'EPERM'])

/** Turns a write error in the cache folder `dir` into a CacheWriteError, or undefined when it is not a disk problem. */
export function cacheWriteError(dir: string, error: unknown): CacheWriteError | undefined {
  const code = (error as { code?: unknown } | undefined)?.code
  if (typeof code !== 'string') return undefined
  const detail = error instanceof Error ? error.message : String(error)
  if (DISK_FULL.has(code)) {
    const message =
      `disk full: expected room for the download in the cache folder, got ${code} (${detail}); ` +
      'free space there or choose another cacheDir / MNIST_CACHE_DIR'
    return new CacheWriteError('DATA_DISK_FULL', dir, message, { cause: error })
  }
  if (UNWRITABLE.has(code)) {
    const message = `cannot write to the cache folder: got ${code} (${detail}); choose a writable cacheDir / MNIST_CACHE_DIR`
    return new CacheWriteError('DATA_CACHE_UNWRITABLE', dir, message, { cause: error })
  }
  return undefined
}
