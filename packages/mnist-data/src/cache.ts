import { homedir } from 'node:os'
import { isAbsolute, join } from 'node:path'
import lockfile from 'proper-lockfile'
import { CacheLockError, DownloadError } from './errors'

/**
 * Where downloads are cached when neither `cacheDir` nor MNIST_CACHE_DIR is given, by platform convention:
 * Linux and other Unix: `$XDG_CACHE_HOME/mnist`, else `~/.cache/mnist`; macOS: `~/Library/Caches/mnist`
 * (or `$XDG_CACHE_HOME/mnist` when set); Windows: `%LOCALAPPDATA%\mnist\Cache`.
 */
export function defaultCacheDir(
  env: Readonly<Record<string, string | undefined>> = process.env,
  platform: NodeJS.Platform = process.platform,
): string {
  const xdg = env.XDG_CACHE_HOME
  // The XDG spec says relative values are invalid and must be ignored.
  const hasXdg = xdg !== undefined && xdg !== '' && isAbsolute(xdg)
  if (platform === 'win32') {
    const local = env.LOCALAPPDATA || join(env.USERPROFILE || homedir(), 'AppData', 'Local')
    return join(local, 'mnist', 'Cache')
  }
  if (hasXdg) return join(xdg, 'mnist')
  if (platform === 'darwin') return join(env.HOME || homedir(), 'Library', 'Caches', 'mnist')
  return join(env.HOME || homedir(), '.cache', 'mnist')
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason)
      return
    }
    const onAbort = (): void => {
      clearTimeout(timer)
      reject(signal!.reason)
    }
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal?.addEventListener('abort', onAbort, { once: true })
  })
}

/** A lock older than this (not refreshed by a live holder) is taken over: its holder crashed. */
const STALE_MS = 15_000

/**
 * Runs `fn` while holding the cross-process lock `<dir>/.lock` (proper-lockfile: an atomic mkdir whose mtime the
 * holder refreshes; a lock not refreshed for 15 s is stale and taken over). Waits, polling, while another process
 * holds it, until `signal` aborts.
 */
export async function withDirLock<T>(dir: string, fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const lockPath = join(dir, '.lock')
  let release: (() => Promise<void>) | undefined
  let delay = 50
  while (!release) {
    if (signal?.aborted) {
      throw new DownloadError(dir, [], {
        code: 'MNIST_DOWNLOAD_ABORTED',
        message: `${dir}: aborted while waiting for the cache lock ${lockPath}`,
        cause: signal.reason,
      })
    }
    try {
      release = await lockfile.lock(dir, {
        lockfilePath: lockPath,
        realpath: false,
        stale: STALE_MS,
        update: STALE_MS / 3,
        retries: 0,
        // The default throws from a timer and kills the process. Files are only ever renamed into place after
        // verification, so a lost lock can at worst cause a second download; carry on.
        onCompromised: () => undefined,
      })
    } catch (error) {
      if ((error as { code?: unknown }).code !== 'ELOCKED') {
        throw new CacheLockError(lockPath, `could not take the cache lock: ${(error as Error).message}`, { cause: error })
      }
      try {
        await sleep(delay, signal)
      } catch {
        // Loop once more so the abort is reported with the lock path.
      }
      delay = Math.min(delay * 2, 500)
    }
  }
  try {
    return await fn()
  } finally {
    await release().catch(() => undefined)
  }
}
