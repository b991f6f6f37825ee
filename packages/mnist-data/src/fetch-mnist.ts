// fetchMnist: the four files of a dataset over HTTP with fetch, in memory (no cache, no file system): the browser
// entry's loadMnist. Browser-safe; Node 20+ runs it too (both entries export it).
import { datasetInfo, publishedBytes, type DatasetInfo, type DatasetName } from './datasets'
import type { DownloadProgress } from './progress'
import { ChecksumError, DownloadError, IdxFormatError, OptionError, type DownloadAttempt } from './errors'
import { compressedCap, DEFAULT_MAX_BYTES, rawCap, type ByteBudget, type IdxLimits } from './idx-accumulator'
import { readIdxWithin } from './idx-web'
import { buildSplits, type ImageSize, type MnistData, type ParsedFile } from './splits'
import type { TransferOptions } from './transfer-options'

export interface FetchMnistOptions extends TransferOptions {
  /** Default 'mnist'. 'custom' fetches any four standard-named files from `mirror` (not verified). */
  dataset?: DatasetName
  /**
   * Base URL serving `<file>.gz` (or `<file>` uncompressed, tried when `.gz` is a 404), or several tried in order.
   * Relative URLs such as `'/mnist/'` resolve against `baseUrl`. Default: the dataset's public mirrors (a page on
   * another origin needs a mirror that sends `Access-Control-Allow-Origin`).
   */
  mirror?: string | URL | ReadonlyArray<string | URL>
  /** What relative mirrors resolve against. Default: `location.href` where there is one (pages and workers). */
  baseUrl?: string | URL
  /** The fetch to use (default `globalThis.fetch`): e.g. one that adds credentials or headers. */
  fetch?: typeof fetch
}

const ROLES = ['trainImages', 'trainLabels', 'testImages', 'testLabels'] as const

interface Settings {
  info: Readonly<DatasetInfo>
  mirrors: URL[]
  verify: boolean
  budget: ByteBudget
  timeoutMs: number
  totalTimeoutMs: number
  retries: number
  retryDelayMs: number
  fetch: typeof fetch
  signal: AbortSignal
  onProgress?: ((p: DownloadProgress) => void) | undefined
  /** Mirrors that timed out: a stalled mirror costs one timeout, not one per file. */
  stalled: Set<string>
}

/** Why one try failed; `kind` decides whether to try the same URL again. */
class TryFailure extends Error {
  constructor(
    message: string,
    readonly kind: 'http' | 'timeout' | 'payload' | 'network',
    readonly status = 0,
  ) {
    super(message)
  }
}

function count(name: string, value: number | undefined, fallback: number, min = 0): number {
  if (value === undefined) return fallback
  if (!Number.isSafeInteger(value) || value < min) {
    throw new OptionError(name, `expected an integer of at least ${min}, got ${String(value)}`)
  }
  return value
}

function defaultBase(): string | undefined {
  const location = (globalThis as { location?: { href?: unknown } }).location
  return typeof location?.href === 'string' ? location.href : undefined
}

/** The mirrors as absolute http(s) URLs ending in `/`. */
export function resolveMirrors(info: Readonly<DatasetInfo>, options: FetchMnistOptions): URL[] {
  const given = options.mirror === undefined ? info.mirrors : [options.mirror].flat()
  if (given.length === 0) {
    throw new OptionError('mirror', `dataset "${info.name}": expected a base URL to fetch the files from, got none`)
  }
  const base = options.baseUrl === undefined ? defaultBase() : String(options.baseUrl)
  return given.map((m) => {
    let url: URL
    try {
      url = new URL(String(m), base)
    } catch {
      const why = base === undefined ? ' (a relative URL needs the baseUrl option here: there is no page location)' : ''
      throw new OptionError('mirror', `expected an http(s) URL${why}, got ${JSON.stringify(String(m))}`)
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      throw new OptionError('mirror', `expected an http: or https: URL, got ${JSON.stringify(url.href)}`)
    }
    if (!url.pathname.endsWith('/')) url.pathname += '/'
    return url
  })
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer)
      signal.removeEventListener('abort', done)
      resolve()
    }
    const timer = setTimeout(done, ms)
    signal.addEventListener('abort', done, { once: true })
  })
}

function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : ''
  return `${error.message.replace(/^\[@mnist\/data\] /, '')}${cause}`
}

/** A 404 for `<file>.gz` is followed by one request for `<file>`: a same-origin copy may hold the raw files. */
async function request(s: Settings, urls: string[], signal: AbortSignal): Promise<{ url: string; res: Response }> {
  let res: Response | undefined
  let url = urls[0]!
  for (url of urls) {
    res = await s.fetch(url, { signal, redirect: 'follow' })
    if (res.status !== 404) break
    await res.body?.cancel().catch(() => undefined)
  }
  if (!res!.ok) {
    await res!.body?.cancel().catch(() => undefined)
    const tried = url !== urls[0] ? ` (and for ${urls[0]})` : ''
    throw new TryFailure(
      `HTTP ${res!.status}${res!.statusText ? ` ${res!.statusText}` : ''}${tried}`,
      'http',
      res!.status,
    )
  }
  return { url, res: res! }
}

/** One try of one mirror: the request, its timers, and the file parsed (and verified) as it streams. */
async function tryOnce(s: Settings, mirror: URL, name: string, limits: IdxLimits): Promise<ParsedFile> {
  const controller = new AbortController()
  const onAbort = (): void => controller.abort(s.signal.reason)
  s.signal.addEventListener('abort', onAbort, { once: true })
  let why: string | undefined
  const fire = (reason: string): void => {
    why = reason
    controller.abort(new TryFailure(reason, 'timeout'))
  }
  let stall = setTimeout(() => fire(`timeout: no data for ${s.timeoutMs} ms`), s.timeoutMs)
  const deadline =
    s.totalTimeoutMs > 0
      ? setTimeout(() => fire(`timeout: not complete after ${s.totalTimeoutMs} ms`), s.totalTimeoutMs)
      : undefined
  try {
    const { url, res } = await request(s, [`${mirror.href}${name}.gz`, `${mirror.href}${name}`], controller.signal)
    const encoded = res.headers.get('content-encoding')
    const length = res.headers.get('content-length')
    const total = length !== null && !encoded ? Number(length) : undefined
    const maxBody = compressedCap(rawCap(limits))
    if (total !== undefined && total > maxBody) {
      await res.body?.cancel().catch(() => undefined)
      throw new TryFailure(`too large: Content-Length ${total} bytes, expected at most ${maxBody}`, 'payload')
    }
    const file = url.slice(url.lastIndexOf('/') + 1)
    const onBytes = (bytes: number): void => {
      clearTimeout(stall)
      stall = setTimeout(() => fire(`timeout: no data for ${s.timeoutMs} ms`), s.timeoutMs)
      s.onProgress?.({ file, bytes, ...(total !== undefined ? { total } : {}) })
    }
    const expected = s.verify ? s.info.sha256[name] : undefined
    try {
      const read = await readIdxWithin(res, { name: url, limits, sha256: expected, signal: controller.signal, onBytes })
      return { name, path: url, array: read.array, sha256: read.sha256 }
    } catch (error) {
      throw explainHtml(error, res)
    }
  } catch (error) {
    if (s.signal.aborted) throw s.signal.reason
    if (why !== undefined && !(error instanceof ChecksumError)) throw new TryFailure(why, 'timeout')
    throw error
  } finally {
    clearTimeout(stall)
    clearTimeout(deadline)
    s.signal.removeEventListener('abort', onAbort)
    controller.abort()
  }
}

/** An HTML page where an IDX file was expected: most likely a dev server's fallback page for a missing file. */
function explainHtml(error: unknown, res: Response): unknown {
  const type = res.headers.get('content-type') ?? ''
  if (!(error instanceof IdxFormatError) || error.code !== 'DATA_IDX_BAD_MAGIC' || !/html/i.test(type)) return error
  return new TryFailure(
    `${reasonOf(error)}; the server sent an HTML page (content-type ${type}): the file is not at this URL ` +
      '(a dev server answers unknown paths with its index.html)',
    'payload',
  )
}

/** Whether another try of the same URL can help: 5xx/408/429 and network failures, not a wrong payload or a 4xx. */
function retryable(error: unknown): boolean {
  if (error instanceof TryFailure) {
    if (error.kind === 'http') return error.status >= 500 || error.status === 408 || error.status === 429
    return error.kind === 'network'
  }
  // fetch rejects with a TypeError for a network failure (and for a page a CORS policy keeps out).
  return error instanceof TypeError
}

function failureMessage(name: string, attempts: DownloadAttempt[], payload: boolean): string {
  const lines = attempts
    .map((a) => `\n  - ${a.url} (${a.attempt === 0 ? 'skipped' : `try ${a.attempt}`}): ${a.reason}`)
    .join('')
  const tries = `${attempts.length} failed ${attempts.length === 1 ? 'try' : 'tries'}`
  if (payload) return `${name}: every mirror served a file that failed verification (got ${tries}):${lines}`
  return (
    `${name}: download failed from every mirror (expected a verified file, got ${tries}):${lines}\n  ` +
    'set the mirror option to a reachable copy: a folder on the same origin (such as "/mnist/") or a server that ' +
    'allows this origin (Access-Control-Allow-Origin)'
  )
}

/** One file: mirrors in order, each tried up to `retries + 1` times with exponential backoff. */
async function fetchFile(s: Settings, index: number): Promise<{ file: ParsedFile; mirror: URL }> {
  const role = ROLES[index]!
  const name = s.info.files[role]
  const exact = s.verify ? publishedBytes(s.info, role) : undefined
  const limits: IdxLimits =
    exact === undefined
      ? { budget: s.budget }
      : { exactBytes: exact, exactWhat: `the published ${s.info.name} ${name}`, budget: s.budget }
  const attempts: DownloadAttempt[] = []
  let mismatch: ChecksumError | undefined
  let payload = 0
  for (const mirror of s.mirrors) {
    const url = `${mirror.href}${name}.gz`
    if (s.stalled.has(mirror.href)) {
      attempts.push({ url, attempt: 0, reason: 'not tried: this mirror timed out on an earlier file' })
      continue
    }
    for (let attempt = 1; attempt <= s.retries + 1; attempt++) {
      try {
        return { file: await tryOnce(s, mirror, name, limits), mirror }
      } catch (error) {
        if (s.signal.aborted) {
          throw new DownloadError(name, attempts, {
            code: 'DATA_DOWNLOAD_ABORTED',
            message: `${name}: download aborted (${url})`,
            cause: s.signal.reason,
          })
        }
        attempts.push({ url, attempt, reason: reasonOf(error) })
        if (error instanceof ChecksumError) mismatch = error
        if (
          error instanceof ChecksumError ||
          error instanceof IdxFormatError ||
          (error as TryFailure).kind === 'payload'
        )
          payload++
        if (error instanceof TryFailure && error.kind === 'timeout') s.stalled.add(mirror.href)
        if (!retryable(error) || attempt > s.retries) break
        await sleep(s.retryDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5), s.signal)
      }
    }
  }
  if (mismatch && payload === attempts.length) {
    throw new ChecksumError(mismatch.file, mismatch.expected, mismatch.actual, 'Every mirror served a different file.')
  }
  throw new DownloadError(name, attempts, { message: failureMessage(name, attempts, payload === attempts.length) })
}

function imageSizeOf(options: FetchMnistOptions): ImageSize {
  const size = options.imageSize ?? { rows: 28, cols: 28 }
  if (size === 'any') return size
  if (!(Number.isSafeInteger(size.rows) && size.rows > 0 && Number.isSafeInteger(size.cols) && size.cols > 0)) {
    throw new OptionError('imageSize', `expected 'any' or positive integer rows and cols, got ${JSON.stringify(size)}`)
  }
  return size
}

function settingsOf(options: FetchMnistOptions, signal: AbortSignal): Settings {
  const info = datasetInfo(options.dataset ?? 'mnist')
  const fetchFn = options.fetch ?? globalThis.fetch
  if (typeof fetchFn !== 'function') throw new OptionError('fetch', 'expected a fetch function, got none here')
  return {
    info,
    mirrors: resolveMirrors(info, options),
    verify: options.verify ?? true,
    budget: { limit: count('maxBytes', options.maxBytes, DEFAULT_MAX_BYTES), used: 0 },
    timeoutMs: count('timeoutMs', options.timeoutMs, 30_000, 1),
    totalTimeoutMs: count('totalTimeoutMs', options.totalTimeoutMs, 600_000),
    retries: count('retries', options.retries, 3),
    retryDelayMs: count('retryDelayMs', options.retryDelayMs, 500),
    // Called as a plain function: a browser's fetch throws "Illegal invocation" when called as a method of another
    // object.
    fetch: (input, init) => fetchFn(input, init),
    signal,
    onProgress: options.onProgress,
    stalled: new Set(),
  }
}

/**
 * Fetches a dataset's four files over HTTP (mirrors in order, the four files at once), parses them as they stream
 * (gzip inflated by DecompressionStream, within the published sizes or `maxBytes`), checks their SHA-256 with
 * crypto.subtle and returns the same MnistData as loadMnist, with `source: 'download'` and `dir` the base URL. Nothing
 * is cached. The first file that fails stops the others. In browsers it is what `loadMnist` is.
 */
export async function fetchMnist(options: FetchMnistOptions = {}): Promise<MnistData> {
  const controller = new AbortController()
  const onAbort = (): void => controller.abort(options.signal?.reason)
  const s = settingsOf(options, controller.signal)
  const size = imageSizeOf(options)
  options.signal?.throwIfAborted()
  options.signal?.addEventListener('abort', onAbort, { once: true })
  try {
    const got = await Promise.all(
      ROLES.map((_, i) =>
        fetchFile(s, i).catch((error: unknown) => {
          controller.abort(error)
          throw error
        }),
      ),
    )
    const files = got.map((g) => g.file)
    const verified = s.verify && s.info.name !== 'custom'
    const dir = got[0]!.mirror.href
    return { dataset: s.info.name, dir, source: 'download', verified, ...buildSplits(s.info, files, size), notes: [] }
  } finally {
    options.signal?.removeEventListener('abort', onAbort)
  }
}
