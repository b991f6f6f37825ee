import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { loadMnist } from '@mnist/data'
import { evaluate, noiseRobustness } from '@mnist/eval'
import { createMetadata, createModel, saveModel } from '@mnist/model'
import { selectBackend } from '@mnist/backends'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bin, runCli, type CliResult } from './run-cli'

// Runs the built CLI as a user would. Build first:
// pnpm --filter @mnist/data build && pnpm --filter @mnist/model build && pnpm --filter @mnist/eval build &&
// pnpm --filter @mnist/train build && pnpm --filter @mnist/cli build
const dataDir = process.env.MNIST_DATA_DIR

const mnist = (args: string[]): CliResult => runCli(args, { MNIST_CACHE_DIR: cache }, 180_000)

let cache: string
let work: string
let modelDir: string
beforeAll(async () => {
  expect(existsSync(bin), `${bin} is missing: build the CLI first`).toBe(true)
  expect(dataDir, 'MNIST_DATA_DIR must point at the real MNIST files').toBeTruthy()
  cache = mkdtempSync(resolve(tmpdir(), 'mnist-cli-cache-'))
  work = mkdtempSync(resolve(tmpdir(), 'mnist-cli-eval-'))
  modelDir = join(work, 'model')
  await selectBackend('cpu')
  const model = createModel({ seed: 5 })
  await saveModel(model, modelDir, createMetadata(model, { dataset: 'mnist', epochs: 0, seed: 5 }))
  model.dispose()
}, 60_000)
afterAll(() => {
  rmSync(cache, { recursive: true, force: true })
  rmSync(work, { recursive: true, force: true })
})

describe('mnist eval', () => {
  it('--json prints one object with the documented shape and the same numbers as evaluate()', async () => {
    const args = [
      'eval',
      '--model',
      modelDir,
      '--json',
      '--limit',
      '120',
      '--noise',
      '0,0.1,0.3',
      '--salt-pepper',
      '0.05',
      '--backend',
      'cpu',
    ]
    const r = mnist(args)
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout.trim().split('\n')).toHaveLength(1)
    const out = JSON.parse(r.stdout)
    expect(Object.keys(out)).toEqual(
      expect.arrayContaining(['accuracy', 'loss', 'confusion', 'perClass', 'noise', 'saltPepper', 'meanLogitDelta']),
    )
    expect(out.count).toBe(120)
    expect(out.accuracy).toBeGreaterThanOrEqual(0)
    expect(out.accuracy).toBeLessThanOrEqual(1)
    expect(out.confusion).toHaveLength(10)
    for (const row of out.confusion) expect(row).toHaveLength(10)
    expect(out.confusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(120)
    expect(out.perClass).toHaveLength(10)
    expect(Object.keys(out.perClass[0]).sort()).toEqual(['digit', 'f1', 'precision', 'recall', 'support'])
    expect(out.noise.map((n: { sigma: number }) => n.sigma)).toEqual([0, 0.1, 0.3])
    expect(out.saltPepper.map((n: { rate: number }) => n.rate)).toEqual([0.05])
    expect(out.meanLogitDelta).toBeGreaterThan(0)
    expect(out.backend).toBe('cpu')

    // Same model, same data, same seed in this process: the CLI must agree.
    const { test } = await loadMnist({ dataDir })
    const { loadModel } = await import('@mnist/model')
    const { model, metadata } = await loadModel(modelDir)
    try {
      const options = { limit: 120, normalization: metadata!.normalization }
      const e = await evaluate(model, test, options)
      expect(out.confusion).toEqual(e.confusion)
      expect(out.accuracy).toBe(e.accuracy)
      expect(out.loss).toBeCloseTo(e.loss, 5)
      const n = await noiseRobustness(model, test, {
        ...options,
        sigmas: [0, 0.1, 0.3],
        saltPepperRates: [0.05],
        seed: 42,
      })
      expect(out.noise).toEqual(n.gaussian)
      expect(out.meanLogitDelta).toBeCloseTo(n.meanLogitDelta, 5)
    } finally {
      model.dispose()
    }
  }, 240_000)

  it('prints a readable summary and writes the report folder', () => {
    const report = join(work, 'report')
    const r = mnist([
      'eval',
      '--model',
      modelDir,
      '--limit',
      '40',
      '--noise',
      '0,0.2',
      '--report',
      report,
      '--backend',
      'cpu',
    ])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(/^accuracy: +\d+\.\d\d % \(\d+ errors\)$/m)
    expect(r.stdout).toContain('confusion matrix (rows: true, columns: predicted)')
    expect(r.stdout).toMatch(/Gaussian sigma 0\.2 +\d+\.\d\d %/)
    expect(r.stdout).toMatch(/mean \|delta logit\| at sigma 0\.1: \d\.\d{4}/)
    expect(readdirSync(report).sort()).toEqual([
      'confusion.png',
      'misclassified.png',
      'noise.png',
      'report.json',
      'report.md',
    ])
  }, 240_000)

  it('--no-noise skips the noise measurements', () => {
    const r = mnist(['eval', '--model', modelDir, '--limit', '20', '--no-noise', '--json', '--backend', 'cpu'])
    expect(r.code).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.noise).toEqual([])
    expect(out.meanLogitDelta).toBeNull()
  }, 120_000)

  it('flag errors name the flag and what was expected (exit 2)', () => {
    const missing = mnist(['eval'])
    expect(missing.code).toBe(2)
    expect(missing.stderr).toContain("required option '--model <dir>' not specified")
    const noise = mnist(['eval', '--model', modelDir, '--noise', '0,abc'])
    expect(noise.code).toBe(2)
    expect(noise.stderr).toMatch(/--noise <sigmas>.*'0,abc' is invalid\. expected comma-separated sigmas/)
    const batch = mnist(['eval', '--model', modelDir, '--batch-size', '0'])
    expect(batch.code).toBe(2)
    expect(batch.stderr).toMatch(/--batch-size <n>.*'0' is invalid\. --batch-size expects an integer from 1 to 65536/)
    const rates = mnist(['eval', '--model', modelDir, '--salt-pepper', '2'])
    expect(rates.code).toBe(2)
    expect(rates.stderr).toMatch(/--salt-pepper <rates>.*numbers in 0\.\.1/)
  }, 60_000)

  it('reads the backend from MNIST_BACKEND when --backend is not given; a bad value is a usage error', () => {
    const r = runCli(['eval', '--model', modelDir, '--limit', '20', '--no-noise', '--json'], {
      MNIST_CACHE_DIR: cache,
      MNIST_BACKEND: 'cpu',
    })
    expect(r.code, r.stderr).toBe(0)
    expect((JSON.parse(r.stdout) as { backend: string }).backend).toBe('cpu')
    const bad = runCli(['eval', '--model', modelDir, '--no-noise'], { MNIST_CACHE_DIR: cache, MNIST_BACKEND: 'tpu' })
    expect(bad.code).toBe(2)
    expect(bad.stderr).toMatch(
      /'tpu' from env 'MNIST_BACKEND' is invalid\. Allowed choices are auto, node-gpu, node, webgpu, simd, wasm, cpu/,
    )
  }, 120_000)

  it('a missing model folder is one clear line naming it (exit 1, no stack trace)', () => {
    const r = mnist(['eval', '--model', join(work, 'nope'), '--backend', 'cpu'])
    expect(r.code).toBe(1)
    expect(r.stderr).toContain(join(work, 'nope'))
    expect(r.stderr).toMatch(/^error: /)
    expect(r.stderr).not.toMatch(/\n\s+at /)
    expect(r.stdout).toBe('')
  }, 60_000)
})
