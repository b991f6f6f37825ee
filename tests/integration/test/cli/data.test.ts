import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
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

/** Like runCli, but without blocking this process: the test's own mirror must answer while the CLI runs. */
function mnistAsync(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((done, fail) => {
    const p = spawn(process.execPath, [bin, ...args], { env: { ...process.env, MNIST_DEBUG: '', ...env } })
    let stdout = ''
    let stderr = ''
    p.stdout.on('data', (d: Buffer) => (stdout += d))
    p.stderr.on('data', (d: Buffer) => (stderr += d))
    p.on('error', fail)
    p.on('close', (code) => done({ code, stdout, stderr }))
  })
}

/** A mirror on 127.0.0.1 serving the real files, or (silent) accepting requests and never answering. */
async function mirror(silent: boolean): Promise<{ url: string; server: Server }> {
  const server = createServer((req, res) => {
    if (silent) return
    const name = (req.url ?? '/').slice(1)
    const path = join(dataDir!, name)
    if (!name.endsWith('.gz') || !existsSync(path)) return void res.writeHead(404).end()
    res.writeHead(200).end(readFileSync(path))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/`, server }
}

describe('mnist data: download flags', () => {
  it('--mirror wins over MNIST_DATA_DIR, with a note on stderr', async () => {
    const { url, server } = await mirror(false)
    const cacheDir = mkdtempSync(resolve(tmpdir(), 'mnist-cli-mirror-'))
    try {
      const args = ['data', '--mirror', url, '--cache-dir', cacheDir, '--json']
      const r = await mnistAsync(args, { MNIST_DATA_DIR: dataDir! })
      expect(r.code).toBe(0)
      expect(JSON.parse(r.stdout).dir).toBe(join(cacheDir, 'mnist'))
      expect(r.stderr).toContain(`note: MNIST_DATA_DIR (${dataDir}) was not used: the mirror option was given`)
    } finally {
      server.closeAllConnections()
      server.close()
      rmSync(cacheDir, { recursive: true, force: true })
    }
  })

  it('--timeout and --retries: a silent mirror fails within seconds, tried once, nothing cached', async () => {
    const { url, server } = await mirror(true)
    const cacheDir = mkdtempSync(resolve(tmpdir(), 'mnist-cli-stall-'))
    try {
      const started = Date.now()
      const args = ['--mirror', url, '--cache-dir', cacheDir, '--timeout', '0.3', '--retries', '0']
      const r = await mnistAsync(['data', ...args])
      expect(Date.now() - started).toBeLessThan(10_000)
      expect(r.code).toBe(1)
      expect(r.stderr).toContain('train-images-idx3-ubyte')
      expect(r.stderr).toContain('timeout: no data for 300 ms')
      expect(r.stderr).not.toMatch(/\n\s+at /)
      expect(readdirSync(join(cacheDir, 'mnist')).filter((e) => !e.startsWith('.lock'))).toEqual([])
    } finally {
      server.closeAllConnections()
      server.close()
      rmSync(cacheDir, { recursive: true, force: true })
    }
  })

  it('bad values are usage errors naming the flag', () => {
    const r = mnist(['data', '--retries', 'many'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('--retries expects an integer from 0 to 100')
    const t = mnist(['data', '--timeout', '0'])
    expect(t.code).toBe(2)
    expect(t.stderr).toContain('--timeout expects a number greater than 0')
  })
})
