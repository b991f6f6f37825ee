import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { loadMnist } from '@mnist/data'
import { decodePng, encodePng } from '@mnist/eval'
import { createMetadata, createModel, loadModel, predict, preprocessImage, saveModel } from '@mnist/model'
import { selectBackend } from '@mnist/backends'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bin, runCli, type CliResult } from './run-cli'

// Runs the built CLI as a user would (build the packages and the CLI first, see eval.test.ts).
const dataDir = process.env.MNIST_DATA_DIR

const mnist = (args: string[]): CliResult => runCli(args)

let work: string
let modelDir: string
const files: Record<string, string> = {}

beforeAll(async () => {
  expect(existsSync(bin), `${bin} is missing: build the CLI first`).toBe(true)
  expect(dataDir, 'MNIST_DATA_DIR must point at the real MNIST files').toBeTruthy()
  work = mkdtempSync(resolve(tmpdir(), 'mnist-cli-predict-'))
  modelDir = join(work, 'model')
  await selectBackend('cpu')
  const model = createModel({ seed: 7 })
  await saveModel(model, modelDir, createMetadata(model, { dataset: 'mnist', epochs: 0 }))
  model.dispose()

  const { test } = await loadMnist({ dataDir })
  const digit = (k: number): Uint8Array => test.images.subarray(k * 784, (k + 1) * 784)
  const images = join(work, 'images')
  mkdirSync(images)
  // 1. RGB, black ink on white paper, 3x larger with a margin (what a scan or a drawing app gives).
  const s = 3
  const W = 28 * s + 20
  const H = 28 * s + 8
  const rgb = new Uint8Array(W * H * 3).fill(255)
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const r = Math.floor((y - 4) / s)
      const c = Math.floor((x - 10) / s)
      if (r >= 0 && r < 28 && c >= 0 && c < 28) {
        const v = 255 - digit(0)[r * 28 + c]!
        rgb.set([v, v, v], (y * W + x) * 3)
      }
    }
  }
  files.rgb = join(images, 'ink-on-paper.png')
  writeFileSync(files.rgb, encodePng({ data: rgb, width: W, height: H, channels: 3 }))
  // 2. Grayscale 28x28, already MNIST-like.
  files.gray = join(images, 'mnist-like.png')
  writeFileSync(files.gray, encodePng({ data: Uint8Array.from(digit(1)), width: 28, height: 28, channels: 1 }))
  // 3. RGBA: dark strokes on a transparent canvas.
  const rgba = new Uint8Array(28 * 28 * 4)
  for (let i = 0; i < 784; i++) rgba.set([20, 20, 20, digit(2)[i]!], i * 4)
  files.rgba = join(images, 'transparent.png')
  writeFileSync(files.rgba, encodePng({ data: rgba, width: 28, height: 28, channels: 4 }))
  // Bad inputs.
  files.text = join(images, 'notes.png')
  writeFileSync(files.text, 'this is not an image\n')
  files.blank = join(images, 'blank.png')
  writeFileSync(files.blank, encodePng({ data: new Uint8Array(40 * 30).fill(255), width: 40, height: 30, channels: 1 }))
}, 60_000)
afterAll(() => {
  rmSync(work, { recursive: true, force: true })
})

describe('mnist predict', () => {
  it('--json gives, per file, what decodePng -> preprocessImage -> predict give in-process', async () => {
    const list = [files.rgb!, files.gray!, files.rgba!]
    const r = mnist(['predict', '--model', modelDir, '--json', '--backend', 'cpu', ...list])
    expect(r.stderr).toBe('')
    expect(r.code).toBe(0)
    expect(r.stdout.trim().split('\n')).toHaveLength(1)
    const out = JSON.parse(r.stdout) as {
      predictions: { file: string; digit: number; confidence: number; probabilities: number[] }[]
    }
    expect(out.predictions.map((p) => p.file)).toEqual(list)

    const { model } = await loadModel(modelDir)
    try {
      const expected = predict(
        model,
        list.map((f) => preprocessImage(decodePng(readFileSync(f), { file: f }))),
      )
      out.predictions.forEach((p, k) => {
        expect(p.digit).toBe(expected[k]!.digit)
        expect(p.probabilities).toHaveLength(10)
        p.probabilities.forEach((v, d) => expect(v).toBeCloseTo(expected[k]!.probabilities[d]!, 5))
        expect(p.confidence).toBe(p.probabilities[p.digit])
        expect(p.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4)
      })
    } finally {
      model.dispose()
    }
  }, 120_000)

  it('prints "file: digit (confidence x%)" per file', () => {
    const r = mnist(['predict', '--model', modelDir, '--backend', 'cpu', files.rgb!, files.gray!])
    expect(r.code).toBe(0)
    const lines = r.stdout.trim().split('\n')
    expect(lines).toHaveLength(2)
    expect(lines[0]).toMatch(new RegExp(`^${escape(files.rgb!)}: \\d \\(confidence \\d{1,3}\\.\\d%\\)$`))
    expect(lines[1]).toMatch(new RegExp(`^${escape(files.gray!)}: \\d \\(confidence \\d{1,3}\\.\\d%\\)$`))
  }, 120_000)

  it('a missing file, a non-PNG and an image without a digit are one-line errors naming the file (exit 1)', () => {
    const missing = join(work, 'images', 'missing.png')
    for (const [file, pattern] of [
      [missing, `error: cannot read image ${missing}: no such file`],
      [files.text!, `${files.text}: not a PNG file`],
      [files.blank!, `${files.blank}: `],
    ] as const) {
      const r = mnist(['predict', '--model', modelDir, '--backend', 'cpu', files.gray!, file])
      expect(r.code, r.stderr).toBe(1)
      expect(r.stderr).toContain(pattern)
      expect(r.stderr).not.toMatch(/\n\s+at /)
      expect(r.stdout).toBe('')
    }
  }, 120_000)

  it('needs exactly one of --model and --pretrained, and at least one image', () => {
    const none = mnist(['predict', files.gray!])
    expect(none.code).toBe(1)
    expect(none.stderr).toContain('missing the model: pass --model <dir>')
    const both = mnist(['predict', '--model', modelDir, '--pretrained', files.gray!])
    expect(both.code).toBe(1)
    expect(both.stderr).toContain('either --model <dir> or --pretrained, not both')
    const noImages = mnist(['predict', '--model', modelDir])
    expect(noImages.code).toBe(2)
    expect(noImages.stderr).toContain("missing required argument 'images'")
  }, 60_000)

  it('reads MNIST_BACKEND; MNIST_THREADS above the simd limit is a usage error, not a fall back to stock wasm', () => {
    const r = runCli(['predict', '--model', modelDir, '--json', files.gray!], { MNIST_BACKEND: 'cpu' })
    expect(r.code, r.stderr).toBe(0)
    const threads = runCli(['predict', '--model', modelDir, '--backend', 'auto', files.gray!], { MNIST_THREADS: '65' })
    expect(threads.code).toBe(2)
    expect(threads.stderr).toMatch(
      /^error: \[@mnist\/backends\] option "MNIST_THREADS": expected an integer from 1 to 64, found "65"/,
    )
    expect(threads.stdout).toBe('')
  }, 120_000)

  it('--pretrained uses the shipped weights', () => {
    const r = mnist(['predict', '--pretrained', '--json', '--backend', 'cpu', files.gray!])
    expect(r.code, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.predictions[0].file).toBe(files.gray)
    expect(out.predictions[0].digit).toBeGreaterThanOrEqual(0)
    expect(out.predictions[0].digit).toBeLessThanOrEqual(9)
  }, 60_000)
})

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
