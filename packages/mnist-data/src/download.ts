import { createHash, randomBytes } from 'node:crypto'
import { open, rename, unlink } from 'node:fs/promises'
import { join } from 'node:path'
import { sleep } from './cache'
import { ChecksumError, DownloadError, type DownloadAttempt } from './errors'
import { inflateIfGzip, isGzip } from './idx'

/** Progress of one file's download: bytes received so far and, when the server says, the total. */
export interface DownloadProgress {
  file: string
  bytes: number
  total?: number
}

export interface DownloadFileOptions {
  /** Standard file name without `.gz`; `<mirror><file>.gz` is fetched. */
  file: string
  mirrors: readonly string[]
  /** Folder the verified file is renamed into (as `<file>.gz`, or `<file>` when a server sent it uncompressed). */
  destDir: string
  /** SHA-256 of the decompressed payload; undefined: structure only. */
  sha256: string | undefined
  timeoutMs: number
  retries: number
  retryDelayMs: number
  signal?: AbortSignal
  onProgress?: (p: DownloadProgress) => void
}

export interface DownloadedFile {
  path: string
  /** Decompressed IDX bytes. */
  raw: Uint8Array
}

class HttpStatusError extends Error {
  constructor(readonly status: number, statusText: string) {
    super(`HTTP ${status}${statusText ? ` ${statusText}` : ''}`)
  }
}

class PayloadMismatch extends Error {
  constructor(readonly actual: string) {
    super(`checksum mismatch: got SHA-256 ${actual}`)
  }
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex')
}

function reasonOf(error: unknown): string {
  if (!(error instanceof Error)) return String(error)
  const cause = error.cause instanceof Error ? ` (${error.cause.message})` : ''
  return `${error.message}${cause}`
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

/**
 * Whether another try of the same URL can help: not for 4xx answers (except 408/429), a wrong payload, or a host name
 * that did not resolve (offline, or a mistyped mirror: seconds of backoff would not change the answer).
 */
function retryable(error: unknown): boolean {
  if (error instanceof HttpStatusError) return error.status >= 500 || error.status === 408 || error.status === 429
  return !(error instanceof PayloadMismatch) && !isNameNotResolved(error)
}

/**
 * Fetches one URL into `tmpPath` and memory. `timeoutMs` is an inactivity timeout: it restarts with every chunk,
 * so a slow but moving download survives while a stalled server is dropped.
 */
async function fetchToFile(
  url: string,
  tmpPath: string,
  o: DownloadFileOptions,
): Promise<Uint8Array> {
  const controller = new AbortController()
  let timedOut = false
  let timer: NodeJS.Timeout | undefined
  const arm = (): void => {
    clearTimeout(timer)
    timer = setTimeout(() => {
      timedOut = true
      controller.abort(new Error(`timeout: no data for ${o.timeoutMs} ms`))
    }, o.timeoutMs)
  }
  const onAbort = (): void => controller.abort(o.signal?.reason)
  o.signal?.addEventListener('abort', onAbort, { once: true })
  const handle = await open(tmpPath, 'wx')
  try {
    arm()
    const response = await fetch(url, { signal: controller.signal, redirect: 'follow' })
    if (!response.ok || !response.body) {
      await response.body?.cancel().catch(() => undefined)
      throw new HttpStatusError(response.status, response.statusText)
    }
    // With Content-Encoding, fetch inflates and Content-Length counts the encoded bytes: not comparable.
    const lengthHeader = response.headers.get('content-length')
    const total =
      lengthHeader !== null && !response.headers.get('content-encoding') ? Number(lengthHeader) : undefined
    const chunks: Uint8Array[] = []
    let bytes = 0
    for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
      arm()
      chunks.push(chunk)
      bytes += chunk.length
      await handle.write(chunk)
      o.onProgress?.({ file: `${o.file}.gz`, bytes, ...(total !== undefined ? { total } : {}) })
    }
    if (total !== undefined && bytes !== total) {
      throw new Error(`truncated body: expected ${total} bytes (Content-Length), got ${bytes}`)
    }
    await handle.sync()
    return Buffer.concat(chunks, bytes)
  } catch (error) {
    if (o.signal?.aborted) throw error
    if (timedOut) throw new Error(`timeout: no data for ${o.timeoutMs} ms`)
    throw error
  } finally {
    clearTimeout(timer)
    o.signal?.removeEventListener('abort', onAbort)
    await handle.close()
  }
}

/**
 * Downloads one file: mirrors in order, each tried up to `retries + 1` times with exponential backoff; the
 * payload goes to a temporary file beside the target and is renamed into place only once its decompressed
 * SHA-256 matches. Nothing unverified is ever left at the final path.
 */
export async function downloadFile(o: DownloadFileOptions): Promise<DownloadedFile> {
  const attempts: DownloadAttempt[] = []
  let unresolved = 0
  let mismatches = 0
  let lastActual = ''
  for (const mirror of o.mirrors) {
    const url = new URL(`${o.file}.gz`, mirror.endsWith('/') ? mirror : `${mirror}/`).href
    for (let attempt = 1; attempt <= o.retries + 1; attempt++) {
      const tmpPath = join(o.destDir, `.${o.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`)
      try {
        const body = await fetchToFile(url, tmpPath, o)
        const raw = await inflateIfGzip(body, url)
        const actual = sha256Hex(raw)
        if (o.sha256 !== undefined && actual !== o.sha256) throw new PayloadMismatch(actual)
        const path = join(o.destDir, isGzip(body) ? `${o.file}.gz` : o.file)
        await rename(tmpPath, path)
        return { path, raw }
      } catch (error) {
        await unlink(tmpPath).catch(() => undefined)
        if (o.signal?.aborted) {
          throw new DownloadError(o.file, attempts, {
            code: 'MNIST_DOWNLOAD_ABORTED',
            message: `${o.file}: download aborted (${url})`,
            cause: o.signal.reason,
          })
        }
        attempts.push({ url, attempt, reason: reasonOf(error) })
        if (error instanceof PayloadMismatch) {
          mismatches++
          lastActual = error.actual
        }
        if (isNameNotResolved(error)) unresolved++
        if (!retryable(error) || attempt > o.retries) break
        // Exponential backoff with jitter so parallel clients do not retry in lockstep.
        const delay = o.retryDelayMs * 2 ** (attempt - 1) * (0.75 + Math.random() * 0.5)
        await sleep(delay, o.signal).catch(() => undefined)
      }
    }
  }
  if (o.sha256 !== undefined && mismatches > 0 && mismatches === attempts.length) {
    throw new ChecksumError(
      `${o.file}.gz`,
      o.sha256,
      lastActual,
      `Every mirror served a different file (${attempts.map((a) => a.url).join(', ')}); nothing was written to the cache.`,
    )
  }
  if (attempts.length === 0) {
    throw new DownloadError(o.file, attempts, { message: `${o.file}: expected at least one mirror URL to download from, got none` })
  }
  throw new DownloadError(o.file, attempts, { offline: unresolved > 0 })
}
