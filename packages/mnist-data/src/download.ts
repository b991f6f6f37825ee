import { randomBytes } from 'node:crypto'
import { open, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { sleep } from './cache'
import type { DownloadProgress } from './progress'
import { cacheWriteError, ChecksumError, DownloadError, MnistDataError, type DownloadAttempt } from './errors'
import { compressedCap, rawCap, releaseBudget, streamIdx, type IdxLimits, type StreamedIdx } from './idx-stream'

/** The temporary file a download streams into; injectable so tests can make the disk fail. */
export interface TmpFile {
  write(chunk: Uint8Array): Promise<unknown>
  sync(): Promise<void>
  close(): Promise<void>
}

export interface DownloadFileOptions {
  /** Standard file name without `.gz`; `<mirror><file>.gz` is fetched. */
  file: string
  mirrors: readonly string[]
  /** Folder the verified file is renamed into (as `<file>.gz`, or `<file>` when a server sent it uncompressed). */
  destDir: string
  /** SHA-256 of the decompressed payload; undefined: structure only. */
  sha256: string | undefined
  /** What the decompressed file may hold; the body is capped at what can inflate to that. */
  limits: IdxLimits
  /** Inactivity timeout per try (ms). */
  timeoutMs: number
  /** Whole-file timeout per try (ms); 0: none. */
  totalTimeoutMs: number
  retries: number
  retryDelayMs: number
  /** Mirrors that timed out, shared by the files of one load: a stalled mirror costs one timeout, not one per file. */
  stalled?: Set<string>
  signal?: AbortSignal
  onProgress?: (p: DownloadProgress) => void
  /** Opens the temporary file (exclusive create). Default: fs.promises.open(path, 'wx'). */
  openTmp?: (path: string) => Promise<TmpFile>
}

export interface DownloadedFile {
  path: string
  parsed: StreamedIdx
}

/** Why one try failed, in words for DownloadAttempt; `kind` decides whether to try again. */
class TryFailure extends Error {
  constructor(
    message: string,
    readonly kind: 'http' | 'timeout' | 'payload' | 'network',
    readonly status = 0,
  ) {
    super(message)
  }
}

class PayloadMismatch extends TryFailure {
  constructor(readonly actual: string) {
    super(`checksum mismatch: got SHA-256 ${actual}`, 'payload')
  }
}

function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const cause = error.cause instanceof Error && !(error instanceof MnistDataError) ? ` (${error.cause.message})` : ''
  return `${error.message.replace(/^\[@mnist\/data\] /, '')}${cause}`
}

/** getaddrinfo's codes for a host name that did not resolve: no such name, or no DNS answer at all (offline). */
const NAME_NOT_RESOLVED = new Set(['ENOTFOUND', 'EAI_AGAIN'])

/** Whether the mirror's host name did not resolve. fetch wraps the resolver's error: look down the cause chain. */
function isNameNotResolved(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code
    if (typeof code === 'string' && NAME_NOT_RESOLVED.has(code)) return true
  }
  return false
}

/** A body that ended early: the transport's fault (a closed connection), worth another try. */
const TRUNCATED = new Set(['DATA_GZIP_TRUNCATED', 'DATA_IDX_TRUNCATED_DATA', 'DATA_IDX_TRUNCATED_HEADER'])

/**
 * A payload that failed to parse, was too large or hashed wrong: the mirror serves a wrong file (or a bomb), and
 * asking again would only repeat the cost. A body that merely ended early is not one.
 */
function isPayloadFailure(error: unknown): boolean {
  if (error instanceof MnistDataError) return !TRUNCATED.has(error.code)
  return error instanceof TryFailure && error.kind === 'payload'
}

/**
 * Whether another try of the same URL can help: not for 4xx answers (except 408/429), a wrong or oversized payload,
 * a timeout (the mirror is stalled: move on), or a host name that did not resolve (offline, or a mistyped mirror).
 */
function retryable(error: unknown): boolean {
  if (error instanceof TryFailure && error.kind === 'http') {
    return error.status >= 500 || error.status === 408 || error.status === 429
  }
  if (error instanceof TryFailure && error.kind === 'timeout') return false
  return !isPayloadFailure(error) && !isNameNotResolved(error)
}

const defaultOpenTmp = (path: string): Promise<TmpFile> => open(path, 'wx')

/** Rethrows a disk error in the cache as a CacheWriteError (never retried), anything else unchanged. */
function diskError(dir: string, error: unknown): unknown {
  return cacheWriteError(dir, error) ?? error
}

/** Timers of one try: inactivity (re-armed on every chunk) and the whole-file deadline; either aborts the fetch. */
function tryTimers(o: DownloadFileOptions, controller: AbortController) {
  let why: string | undefined
  const fire = (reason: string): void => {
    why = reason
    controller.abort()
  }
  let stall: NodeJS.Timeout | undefined
  const deadline =
    o.totalTimeoutMs > 0
      ? setTimeout(() => fire(`timeout: not complete after ${o.totalTimeoutMs} ms`), o.totalTimeoutMs)
      : undefined
  return {
    arm: (): void => {
      clearTimeout(stall)
      stall = setTimeout(() => fire(`timeout: no data for ${o.timeoutMs} ms`), o.timeoutMs)
    },
    fired: (): string | undefined => why,
    clear: (): void => {
      clearTimeout(stall)
      clearTimeout(deadline)
    },
  }
}

/**
 * Fetches one URL into `tmpPath`, parsing (and inflating) the IDX payload as it streams: no more compressed bytes
 * than can inflate to the limits are accepted (a larger Content-Length is refused before the body), and nothing of
 * the body is held in memory beyond the parsed file itself.
 */
async function fetchToFile(url: string, tmpPath: string, o: DownloadFileOptions): Promise<StreamedIdx> {
  const controller = new AbortController()
  const timers = tryTimers(o, controller)
  // An abort that came before this try (during a backoff) would never fire the listener below: no request then.
  o.signal?.throwIfAborted()
  const onAbort = (): void => controller.abort(o.signal?.reason)
  o.signal?.addEventListener('abort', onAbort, { once: true })
  const maxBody = compressedCap(rawCap(o.limits))
  let handle: TmpFile | undefined
  try {
    handle = await (o.openTmp ?? defaultOpenTmp)(tmpPath).catch((error: unknown) => {
      throw diskError(o.destDir, error)
    })
    timers.arm()
    const response = await fetch(url, { signal: controller.signal, redirect: 'follow' })
    if (!response.ok || !response.body) {
      await response.body?.cancel().catch(() => undefined)
      throw new TryFailure(
        `HTTP ${response.status}${response.statusText ? ` ${response.statusText}` : ''}`,
        'http',
        response.status,
      )
    }
    // With Content-Encoding, fetch inflates and Content-Length counts the encoded bytes: not comparable.
    const lengthHeader = response.headers.get('content-length')
    const total = lengthHeader !== null && !response.headers.get('content-encoding') ? Number(lengthHeader) : undefined
    if (total !== undefined && total > maxBody) {
      await response.body.cancel().catch(() => undefined)
      throw new TryFailure(`too large: Content-Length ${total} bytes, expected at most ${maxBody}`, 'payload')
    }
    const body = response.body as unknown as AsyncIterable<Uint8Array>
    const file = handle
    async function* chunks(): AsyncGenerator<Uint8Array> {
      let bytes = 0
      for await (const chunk of body) {
        timers.arm()
        bytes += chunk.length
        if (bytes > maxBody) throw new TryFailure(`too large: more than ${maxBody} bytes in the body`, 'payload')
        await file.write(chunk).catch((error: unknown) => {
          throw diskError(o.destDir, error)
        })
        o.onProgress?.({ file: `${o.file}.gz`, bytes, ...(total !== undefined ? { total } : {}) })
        yield chunk
      }
      if (total !== undefined && bytes !== total) {
        throw new TryFailure(`truncated body: expected ${total} bytes (Content-Length), got ${bytes}`, 'network')
      }
    }
    const parsed = await streamIdx(chunks(), url, o.limits)
    await handle.sync().catch((error: unknown) => {
      releaseBudget(o.limits, parsed.charged)
      throw diskError(o.destDir, error)
    })
    return parsed
  } catch (error) {
    if (o.signal?.aborted) throw error
    const timeout = timers.fired()
    if (timeout !== undefined && !isPayloadFailure(error)) throw new TryFailure(timeout, 'timeout')
    throw error
  } finally {
    timers.clear()
    controller.abort()
    o.signal?.removeEventListener('abort', onAbort)
    await handle?.close().catch(() => undefined)
  }
}

function mirrorUrl(mirror: string, file: string): string {
  return new URL(`${file}.gz`, mirror.endsWith('/') ? mirror : `${mirror}/`).href
}

/** What went wrong across the tries of one file. */
interface Tally {
  attempts: DownloadAttempt[]
  /** Tries whose host name did not resolve. */
  unresolved: number
  /** Tries that got a wrong, oversized or corrupt payload. */
  payload: number
  /** The SHA-256 of the last payload that parsed but hashed wrong. */
  lastActual: string
  mismatches: number
}

function abortedError(o: DownloadFileOptions, url: string, attempts: DownloadAttempt[]): DownloadError {
  return new DownloadError(o.file, attempts, {
    code: 'DATA_DOWNLOAD_ABORTED',
    message: `${o.file}: download aborted (${url})`,
    cause: o.signal?.reason,
  })
}

/** The tries of one mirror; returns the file, or undefined once the mirror is given up (the tally says why). */
async function tryMirror(mirror: string, o: DownloadFileOptions, tally: Tally): Promise<DownloadedFile | undefined> {
  const { attempts } = tally
  const url = mirrorUrl(mirror, o.file)
  if (o.stalled?.has(mirror)) {
    attempts.push({ url, attempt: 0, reason: 'not tried: this mirror timed out on an earlier file' })
    return undefined
  }
  for (let attempt = 1; attempt <= o.retries + 1; attempt++) {
    // The backoff sleep below ends early on an abort; the next try must then not start.
    if (o.signal?.aborted) throw abortedError(o, url, attempts)
    const tmpPath = join(o.destDir, `.${o.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
    let parsed: StreamedIdx | undefined
    try {
      parsed = await fetchToFile(url, tmpPath, o)
      if (o.sha256 !== undefined && parsed.sha256 !== o.sha256) throw new PayloadMismatch(parsed.sha256)
      const path = join(o.destDir, parsed.gzip ? `${o.file}.gz` : o.file)
      await rename(tmpPath, path).catch((error: unknown) => {
        throw diskError(o.destDir, error)
      })
      return { path, parsed }
    } catch (error) {
      // An abandoned payload (wrong checksum, failed rename) gives its share of the budget back.
      if (parsed) releaseBudget(o.limits, parsed.charged)
      await unlink(tmpPath).catch(() => undefined)
      if (o.signal?.aborted) throw abortedError(o, url, attempts)
      // A full or read-only disk is not the mirror's fault, and no retry or other mirror can fix it.
      if (error instanceof MnistDataError && error.name === 'CacheWriteError') throw error
      attempts.push({ url, attempt, reason: reasonOf(error) })
      if (isNameNotResolved(error)) tally.unresolved++
      if (isPayloadFailure(error)) tally.payload++
      if (error instanceof PayloadMismatch) {
        tally.mismatches++
        tally.lastActual = error.actual
      }
      if (error instanceof TryFailure && error.kind === 'timeout') o.stalled?.add(mirror)
      if (!retryable(error) || attempt > o.retries) return undefined
      // Exponential backoff with jitter so parallel clients do not retry in lockstep.
      const delay = o.retryDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5)
      await sleep(delay, o.signal).catch(() => undefined)
    }
  }
  return undefined
}

/**
 * Downloads one file: mirrors in order, each tried up to `retries + 1` times with exponential backoff (a wrong,
 * oversized or corrupt payload, a 4xx or a timeout moves straight to the next mirror); the payload goes to a
 * temporary file beside the target and is renamed into place only once its decompressed SHA-256 matches. Nothing
 * unverified is ever left at the final path.
 */
export async function downloadFile(o: DownloadFileOptions): Promise<DownloadedFile> {
  const tally: Tally = { attempts: [], unresolved: 0, payload: 0, lastActual: '', mismatches: 0 }
  for (const mirror of o.mirrors) {
    const got = await tryMirror(mirror, o, tally)
    if (got) return got
  }
  const { attempts } = tally
  if (attempts.length === 0) {
    throw new DownloadError(o.file, attempts, {
      message: `${o.file}: expected at least one mirror URL to download from, got none`,
    })
  }
  if (o.sha256 !== undefined && tally.mismatches > 0 && tally.mismatches === attempts.length) {
    throw new ChecksumError(
      `${o.file}.gz`,
      o.sha256,
      tally.lastActual,
      `Every mirror served a different file (${attempts.map((a) => a.url).join(', ')}); nothing was written to the cache.`,
    )
  }
  throw new DownloadError(o.file, attempts, {
    offline: tally.unresolved > 0,
    payload: tally.payload === attempts.length,
  })
}

export type { DownloadProgress } from './progress'
