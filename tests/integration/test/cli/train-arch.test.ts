import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { loadMnist } from '@mnist/data'
import { encodePng } from '@mnist/eval'
import { DEFAULT_MODEL_CONFIG, sameModelConfig, type ModelConfig } from '@mnist/model'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bin, runCli, runCliInterrupted, type CliResult } from './run-cli'

// `mnist train --arch <file.json>` as a user runs it: the shipped architecture files, bad files, a resumed run whose
// architecture must match, and `mnist eval` / `mnist predict` on the model it saved.

const examples = fileURLToPath(new URL('../../../../examples/architectures/', import.meta.url))
const modelC = join(examples, 'model-c.json')
let out: string
const mnist = (args: string[]): CliResult => runCli(args, { MNIST_OUT_DIR: out }, 300_000)
const lastJson = <T>(r: CliResult): T => JSON.parse(r.stdout.trim().split('\n').pop()!) as T

beforeAll(() => {
  expect(existsSync(bin), `${bin} is missing: build the CLI first`).toBe(true)
  expect(process.env.MNIST_DATA_DIR, 'MNIST_DATA_DIR must point at the real MNIST files').toBeTruthy()
  out = mkdtempSync(resolve(tmpdir(), 'mnist-cli-arch-'))
})
afterAll(() => rmSync(out, { recursive: true, force: true }))

describe('mnist train --arch', { timeout: 600_000 }, () => {
  it('examples/architectures/default.json is the default network', () => {
    const file = JSON.parse(readFileSync(join(examples, 'default.json'), 'utf8')) as ModelConfig
    expect(sameModelConfig(file, DEFAULT_MODEL_CONFIG)).toBe(true)
  })

  it('a bad file is one line naming it and what was expected, exit 2, nothing written', () => {
    const write = (name: string, text: string): string => {
      const file = join(out, name)
      writeFileSync(file, text)
      return file
    }
    const cases: Array<[string, RegExp]> = [
      [write('broken.json', '{"layers": ['), /expected JSON \(a ModelConfig object\), found malformed text/],
      [
        write('big.json', '{"layers": [{"type": "flatten"}, {"type": "dense", "units": 64}]}'),
        /the model has 50,890 trainable parameters; the budget is fewer than 25,000 \(25,891 too many\)/,
      ],
      [write('typo.json', '{"layer": []}'), /model config layer: unknown field \(expected one of layers, /],
      [join(out, 'missing.json'), /expected a readable JSON file \(ENOENT\)/],
    ]
    for (const [file, message] of cases) {
      const r = mnist(['train', '--arch', file, '--limit', '64', '--backend', 'cpu'])
      expect(r.code, r.stderr).toBe(2)
      const lines = r.stderr.trim().split('\n')
      expect(lines).toHaveLength(1)
      expect(lines[0]).toContain(`error: --arch ${file}: `)
      expect(lines[0]).toMatch(message)
    }
    expect(runCli(['train', '--help']).stdout).toMatch(/--arch <file\.json>/)
  })

  it('model C: interrupted, resumed with another architecture (exit 2), resumed with its own; eval and predict', async () => {
    const { code, stdout, stderr } = await runCliInterrupted(
      ['train', '--arch', modelC, '--limit', '1280', '--batch-size', '64', '--test-limit', '200', '--json'],
      /^epoch 1\/1 batch \d+\/20/m,
      { MNIST_OUT_DIR: out },
    )
    expect(code, stderr).toBe(130)
    expect(stderr).toMatch(/architecture: conv8 3x3 bn relu · conv16 3x3 bn relu · maxPool2 · conv8 1x1 /)
    const stopped = JSON.parse(stdout.trim().split('\n').pop()!) as { checkpointDir: string; step: number }
    expect(stopped.step).toBeLessThan(20)

    const other = mnist(['train', '--resume', stopped.checkpointDir, '--arch', 'default'])
    expect(other.code, other.stderr).toBe(2)
    expect(other.stderr.trim().split('\n')).toHaveLength(1)
    expect(other.stderr).toMatch(/was trained with the architecture \[conv8 3x3 bn relu · conv16 3x3 bn relu · /)
    expect(other.stderr).toMatch(/not the given \[conv8 3x3 bn relu · maxPool2 · conv16 .* dense10\].*\(flag --arch\)/)

    const resumed = mnist(['train', '--resume', stopped.checkpointDir, '--arch', modelC, '--json'])
    expect(resumed.code, resumed.stderr).toBe(0)
    const result = lastJson<{ params: number; modelDir: string }>(resumed)
    expect(result.params).toBe(22_098)

    const evaluated = mnist(['eval', '--model', result.modelDir, '--limit', '100', '--no-noise', '--json'])
    expect(evaluated.code, evaluated.stderr).toBe(0)
    const report = lastJson<{ accuracy: number; imagesPerSecond: number; inference: string; backend: string }>(
      evaluated,
    )
    expect(report.accuracy).toBeGreaterThan(0)
    expect(report.imagesPerSecond).toBeGreaterThan(0)
    // model C (global average pooling included) runs the simd backend's fused inference
    expect(report.inference).toBe(report.backend === 'simd' ? 'fused' : 'tfjs')
    const human = mnist(['eval', '--model', result.modelDir, '--limit', '100', '--no-noise'])
    expect(human.stdout).toMatch(/^speed: +[\d,]+ images\/s \(clean pass, (fused inference|tfjs model\.predict)\)$/m)

    const { test } = await loadMnist({ dataDir: process.env.MNIST_DATA_DIR })
    const png = join(out, 'digit.png')
    writeFileSync(png, encodePng({ data: test.images.slice(0, 784), width: 28, height: 28, channels: 1 }))
    const predicted = mnist(['predict', '--model', result.modelDir, png, '--json'])
    expect(predicted.code, predicted.stderr).toBe(0)
    expect(predicted.stdout).toMatch(/"probabilities"/)
  })
})
