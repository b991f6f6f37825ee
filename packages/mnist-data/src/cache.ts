import { readdir, readFile, rm, stat, unlink, writeFile } from 'node:fs/promises'
import { homedir, hostname } from 'node:os'
import { isAbsolute, join } from 'node:path'
import lockfile from 'proper-lockfile'
import { cacheWriteError, CacheLockError, DownloadError } from './errors'

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

/** A lock older than this (not refreshed by a live holder) is taken over: its holder crashed on another host, say. */
const STALE_MS = 15_000

/** Who holds a cache lock, as its holder wrote it beside the lock; reported while another process waits for it. */
export interface LockWait {
  lockPath: string
  /** Process id of the holder, when it wrote one (a dead holder of this host is detected and its lock taken over). */
  pid?: number
  host?: string
}

/** Whether a process with this pid exists (EPERM: it does, under another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as { code?: unknown }).code === 'EPERM'
  }
}

async function readOwner(ownerPath: string): Promise<{ pid?: number; host?: string }> {
  try {
    const parsed = JSON.parse(await readFile(ownerPath, 'utf8')) as { pid?: unknown; host?: unknown }
    return {
      ...(Number.isSafeInteger(parsed.pid) ? { pid: parsed.pid as number } : {}),
      ...(typeof parsed.host === 'string' ? { host: parsed.host } : {}),
    }
  } catch {
    return {}
  }
}

/**
 * The holder of `lockPath` is a process of this host that no longer runs (SIGKILL, a crash): its lock is removed
 * at once instead of after the 15 s staleness. If two waiters do this at the same time both may end up holding
 * the lock; files only ever reach their final names verified and by atomic rename, so that costs a second download
 * at worst.
 */
async function takeOverDeadLock(
  lockPath: string,
  ownerPath: string,
  owner: { pid?: number; host?: string },
): Promise<boolean> {
  if (owner.pid === undefined || owner.host !== hostname() || pidAlive(owner.pid)) return false
  await rm(lockPath, { recursive: true, force: true }).catch(() => undefined)
  await unlink(ownerPath).catch(() => undefined)
  return true
}

/**
 * Runs `fn` while holding the cross-process lock `<dir>/.lock` (proper-lockfile: an atomic mkdir whose mtime the
 * holder refreshes; a lock not refreshed for 15 s is stale and taken over). The holder writes its pid and host to
 * `<dir>/.lock-owner`, so a lock whose holder died on this host is taken over at once. Waits, polling, while another
 * live process holds it (telling `onWait` who, once per holder), until `signal` aborts.
 */
export async function withDirLock<T>(
  dir: string,
  fn: () => Promise<T>,
  signal?: AbortSignal,
  onWait?: (wait: LockWait) => void,
): Promise<T> {
  const lockPath = join(dir, '.lock')
  const ownerPath = join(dir, '.lock-owner')
  let release: (() => Promise<void>) | undefined
  let delay = 50
  let reported: string | undefined
  while (!release) {
    if (signal?.aborted) {
      throw new DownloadError(dir, [], {
        code: 'DATA_DOWNLOAD_ABORTED',
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
        throw (
          cacheWriteError(dir, error) ??
          new CacheLockError(lockPath, `could not take the cache lock: ${(error as Error).message}`, { cause: error })
        )
      }
      const owner = await readOwner(ownerPath)
      if (await takeOverDeadLock(lockPath, ownerPath, owner)) continue
      const key = `${owner.pid}@${owner.host}`
      if (key !== reported) {
        reported = key
        onWait?.({ lockPath, ...owner })
      }
      try {
        await sleep(delay, signal)
      } catch {
        // Loop once more so the abort is reported with the lock path.
      }
      delay = Math.min(delay * 2, 500)
    }
  }
  await writeFile(ownerPath, JSON.stringify({ pid: process.pid, host: hostname() })).catch(() => undefined)
  try {
    return await fn()
  } finally {
    await unlink(ownerPath).catch(() => undefined)
    await release().catch(() => undefined)
  }
}

/** `.<file>.<pid>.<8 hex>.tmp`: a download in progress (see download.ts). */
const TMP_NAME = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/

/** Temporary files older than this are removed even when their pid runs (pids are reused). */
const TMP_MAX_AGE_MS = 24 * 3600_000

/**
 * Removes the partial downloads a killed process left in `dir`: those whose process no longer runs, or older than a
 * day. Called with the lock held, so no live download of this cache is touched. Returns the names removed.
 */
export async function removeStaleTemps(dir: string): Promise<string[]> {
  const removed: string[] = []
  let entries: string[]
  try {
    entries = await readdir(dir)
  } catch {
    return removed
  }
  for (const name of entries) {
    const match = TMP_NAME.exec(name)
    if (!match) continue
    const pid = Number(match[1])
    if (pid === process.pid) continue
    const path = join(dir, name)
    const old = await stat(path).then(
      (s) => Date.now() - s.mtimeMs > TMP_MAX_AGE_MS,
      () => false,
    )
    if (pidAlive(pid) && !old) continue
    if (
      await unlink(path).then(
        () => true,
        () => false,
      )
    )
      removed.push(name)
  }
  return removed
}
