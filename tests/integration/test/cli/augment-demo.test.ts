import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { resolve } from 'node:path'
import { decodePng } from '@mnist/eval'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bin, runCli, type CliResult } from './run-cli'

let out: string

const mnist = (args: string[]): CliResult => runCli(args)

beforeAll(() => {
  expect(existsSync(bin), `${bin} is missing: build the CLI first`).toBe(true)
  expect(process.env.MNIST_DATA_DIR, 'MNIST_DATA_DIR must point at the real MNIST files').toBeTruthy()
  out = mkdtempSync(resolve(tmpdir(), 'mnist-cli-augment-'))
})
afterAll(() => rmSync(out, { recursive: true, force: true }))

describe('mnist augment-demo', { timeout: 120_000 }, () => {
  it('writes one PNG grid per sample, the same for the same seed', () => {
    const r = mnist(['augment-demo', '--samples', '2', '--per-sample', '5', '--out', out, '--seed', '3', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const { files } = JSON.parse(r.stdout) as { files: string[] }
    expect(files).toHaveLength(2)
    for (const f of files) {
      const png = decodePng(readFileSync(f))
      expect(png.width).toBeGreaterThan(6 * 28 * 3 - 1)
      expect(png.height).toBeGreaterThan(28 * 3)
    }
    const first = readFileSync(files[0]!)
    const again = mnist([
      'augment-demo',
      '--samples',
      '1',
      '--per-sample',
      '5',
      '--out',
      resolve(out, 'again'),
      '--seed',
      '3',
      '--json',
    ])
    const { files: files2 } = JSON.parse(again.stdout) as { files: string[] }
    expect(readFileSync(files2[0]!).equals(first)).toBe(true)
  })

  it('rejects a bad --per-sample', () => {
    const r = mnist(['augment-demo', '--per-sample', '0'])
    expect(r.code).not.toBe(0)
    expect(r.stderr).toMatch(/--per-sample expects an integer from 1 to 100/)
  })
})
