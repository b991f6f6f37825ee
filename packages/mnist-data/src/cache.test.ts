import { mkdirSync, mkdtempSync, rmSync, utimesSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { defaultCacheDir, withDirLock } from './cache'
import { DownloadError } from './errors'

describe('defaultCacheDir', () => {
  it('follows XDG on Linux, ignoring relative values', () => {
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache', HOME: '/home/u' }, 'linux')).toBe('/x/cache/mnist')
    expect(defaultCacheDir({ HOME: '/home/u' }, 'linux')).toBe('/home/u/.cache/mnist')
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'rel', HOME: '/home/u' }, 'linux')).toBe('/home/u/.cache/mnist')
  })
  it('uses the platform folders elsewhere', () => {
    expect(defaultCacheDir({ HOME: '/Users/u' }, 'darwin')).toBe('/Users/u/Library/Caches/mnist')
    expect(defaultCacheDir({ LOCALAPPDATA: 'C:/L' }, 'win32')).toBe(join('C:/L', 'mnist', 'Cache'))
  })
})

describe('withDirLock', () => {
  it('serialises holders and takes over a stale lock', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mnist-lock-'))
    try {
      const order: string[] = []
      const slow = withDirLock(dir, async () => {
        order.push('a-start')
        await new Promise((r) => setTimeout(r, 150))
        order.push('a-end')
      })
      await new Promise((r) => setTimeout(r, 20))
      await withDirLock(dir, async () => {
        order.push('b')
      })
      await slow
      expect(order).toEqual(['a-start', 'a-end', 'b'])

      // A lock left by a crashed process (not refreshed for a minute) does not block forever.
      mkdirSync(join(dir, '.lock'))
      const old = new Date(Date.now() - 60_000)
      utimesSync(join(dir, '.lock'), old, old)
      expect(await withDirLock(dir, async () => 'took over')).toBe('took over')

      // A live lock plus an abort: a typed error naming the lock.
      mkdirSync(join(dir, '.lock'))
      const error = await withDirLock(dir, async () => 1, AbortSignal.timeout(100)).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(DownloadError)
      expect((error as DownloadError).code).toBe('DATA_DOWNLOAD_ABORTED')
      expect((error as Error).message).toContain(join(dir, '.lock'))
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
})
