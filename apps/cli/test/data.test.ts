import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bin, runCli, type CliResult } from './run-cli'

// Runs the built CLI as a user would (build first: pnpm --filter @mnist/cli... build).
const dataDir = process.env.MNIST_DATA_DIR

const mnist = (args: string[], env: Record<string, string> = {}): CliResult =>
  runCli(args, { MNIST_CACHE_DIR: cache, ...env }, 60_000)

let cache: string
let empty: string
beforeAll(() => {
  expect(existsSync(bin), `${bin} is missing: build the CLI first`).toBe(true)
  expect(dataDir, 'MNIST_DATA_DIR must point at the real MNIST files').toBeTruthy()
  cache = mkdtempSync(resolve(tmpdir(), 'mnist-cli-cache-'))
  empty = mkdtempSync(resolve(tmpdir(), 'mnist-cli-empty-'))
})
afterAll(() => {
  rmSync(cache, { recursive: true, force: true })
  rmSync(empty, { recursive: true, force: true })
})

describe('mnist data', () => {
  it('--json prints exactly one JSON object for MNIST_DATA_DIR', () => {
    const r = mnist(['data', '--json'])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout.trim().split('\n')).toHaveLength(1)
    expect(JSON.parse(r.stdout)).toEqual({
      dataset: 'mnist',
      dir: resolve(dataDir!),
      train: { count: 60000, rows: 28, cols: 28 },
      test: { count: 10000, rows: 28, cols: 28 },
    })
  })

  it('prints a short human summary without --json', () => {
    const r = mnist(['data', '--data-dir', dataDir!])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain(resolve(dataDir!))
    expect(r.stdout).toContain('60000')
    expect(r.stdout).toContain('10000')
    expect(r.stdout).toContain('verified')
  })

  it('an empty --data-dir: exit 1, names the folder and the missing file, no stack trace', () => {
    const r = mnist(['data', '--data-dir', empty, '--json'])
    expect(r.code).toBe(1)
    expect(r.stdout).toBe('')
    expect(r.stderr).toContain(empty)
    expect(r.stderr).toContain('train-images-idx3-ubyte')
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('a file that is not the published one: exit 1 with the checksum error', () => {
    const r = mnist(['data', '--dataset', 'fashion-mnist', '--data-dir', dataDir!])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain('checksum mismatch')
    expect(r.stderr).not.toMatch(/\n\s+at /)
  })

  it('usage errors are reported by the parser', () => {
    const both = mnist(['data', '--data-dir', empty, '--mirror', 'http://127.0.0.1:9/'])
    expect(both.code).not.toBe(0)
    expect(both.stderr).toContain('cannot be used with')
    const bad = mnist(['data', '--dataset', 'emnist'])
    expect(bad.code).not.toBe(0)
    expect(bad.stderr).toContain('fashion-mnist')
  })
})
