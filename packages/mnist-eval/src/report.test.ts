import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PNG } from 'pngjs'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { ReportWriteError } from './errors'
import type { EvalResult } from './evaluate'
import { accuracyFromConfusion, confusionMatrix, perClassMetrics } from './metrics'
import type { NoiseResult } from './noise'
import { renderMarkdownReport, writeReport } from './report'

const count = 60
const labels = Uint8Array.from({ length: count }, (_, i) => i % 10)
// 12 mistakes: every fifth image (all the 0s and 5s) is predicted as the next digit, so 0 is never predicted.
const predicted = Uint8Array.from(labels, (l, i) => (i % 5 === 0 ? (l + 1) % 10 : l))
const images = new Uint8Array(count * 784)
for (let i = 0; i < count; i++) for (let r = 5; r < 23; r++) images[i * 784 + r * 28 + 10 + (i % 8)] = 255

function evaluation(): EvalResult {
  const confusion = confusionMatrix(labels, predicted)
  const misclassified: number[] = []
  predicted.forEach((p, i) => p !== labels[i] && misclassified.push(i))
  return {
    count,
    accuracy: accuracyFromConfusion(confusion),
    loss: 0.25,
    confusion,
    perClass: perClassMetrics(confusion),
    misclassified,
    predicted,
  }
}

const noise: NoiseResult = {
  count,
  seed: 42,
  cleanAccuracy: 0.8,
  gaussian: [
    { sigma: 0, accuracy: 0.8 },
    { sigma: 0.1, accuracy: 0.8 },
    { sigma: 0.2, accuracy: 0.7833 },
    { sigma: 0.3, accuracy: 0.75 },
    { sigma: 0.5, accuracy: 0.6 },
  ],
  saltPepper: [
    { rate: 0.02, accuracy: 0.78 },
    { rate: 0.05, accuracy: 0.7 },
    { rate: 0.1, accuracy: 0.5 },
  ],
  meanLogitDelta: 0.123,
  meanLogitDeltaSigma: 0.1,
}

let dir: string
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mnist-eval-report-'))
})
afterEach(async () => {
  await rm(dir, { recursive: true, force: true })
})

const readPng = async (path: string): Promise<PNG> => PNG.sync.read(await readFile(path))

describe('writeReport', () => {
  it('writes report.json, report.md and three PNGs of the expected sizes', async () => {
    const out = join(dir, 'nested', 'report')
    const { files } = await writeReport(
      {
        evaluation: evaluation(),
        noise,
        images: { images, labels, count },
        model: { dir: '/models/x', params: 21842 },
        dataset: 'mnist',
      },
      out,
    )
    expect(files.map((f) => f.slice(out.length + 1)).sort()).toEqual([
      'confusion.png',
      'misclassified.png',
      'noise.png',
      'report.json',
      'report.md',
    ])
    expect((await readdir(out)).sort()).toEqual([
      'confusion.png',
      'misclassified.png',
      'noise.png',
      'report.json',
      'report.md',
    ])

    const json = JSON.parse(await readFile(join(out, 'report.json'), 'utf8'))
    expect(json.evaluation.accuracy).toBeCloseTo(0.8, 12)
    expect(json.evaluation.confusion).toHaveLength(10)
    expect(json.evaluation.misclassified).toHaveLength(12)
    expect(json.evaluation.predicted).toBeUndefined()
    expect(json.evaluation.macro.f1).toBeGreaterThan(0)
    expect(json.noise.meanLogitDelta).toBe(0.123)
    expect(json.model.params).toBe(21842)

    const confusion = await readPng(join(out, 'confusion.png'))
    expect([confusion.width, confusion.height]).toEqual([92 + 520 + 24 + 90, 84 + 520 + 40])
    const noisePng = await readPng(join(out, 'noise.png'))
    expect([noisePng.width, noisePng.height]).toEqual([2 * (66 + 440 + 36), 70 + 320 + 58])
    // 12 misclassified, 10 columns of 28 * 3 px cells, 8 px padding, 30 px title, 20 px captions: 2 rows.
    const grid = await readPng(join(out, 'misclassified.png'))
    expect([grid.width, grid.height]).toEqual([8 + 10 * (84 + 8), 30 + 8 + 2 * (84 + 20 + 8)])
  })

  it('writes the Markdown tables', async () => {
    await writeReport({ evaluation: evaluation(), noise, images: { images, labels, count } }, dir)
    const md = await readFile(join(dir, 'report.md'), 'utf8')
    expect(md).toContain('| accuracy | 80.00 % |')
    expect(md).toContain('| class | precision | recall | F1 | support |')
    expect(md).toContain('| 0 | 0.0000 | 0.0000 | 0.0000 | 6 |')
    expect(md).toContain('| 1 | 0.5000 | 1.0000 | 0.6667 | 6 |')
    expect(md).toContain('| true \\ pred | 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 |')
    expect(md).toContain('| **0** | **0** | 6 | 0 |')
    expect(md).toContain('| 0.5 | 60.00 % | -20.00 pt |')
    expect(md).toContain('| 0.1 | 50.00 % | -30.00 pt |')
    expect(md).toContain('12 of 60 images are misclassified')
    expect(md).toContain('![confusion matrix](confusion.png)')
  })

  it('skips noise.png and misclassified.png when there is nothing to draw them from', async () => {
    const { files } = await writeReport({ evaluation: evaluation() }, dir)
    expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual(['confusion.png', 'report.json', 'report.md'])
    expect(renderMarkdownReport({ evaluation: evaluation() })).not.toContain('## Noise robustness')
  })

  it('replaces an earlier report, keeps other files, and leaves no temporary files', async () => {
    await writeFile(join(dir, 'report.json'), 'old')
    await writeFile(join(dir, 'notes.txt'), 'keep me')
    await writeReport({ evaluation: evaluation() }, dir)
    expect(await readFile(join(dir, 'notes.txt'), 'utf8')).toBe('keep me')
    expect(await readFile(join(dir, 'report.json'), 'utf8')).not.toBe('old')
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([])
  })

  it('fails with ReportWriteError naming the path, without losing what was there', async () => {
    const file = join(dir, 'a-file')
    await writeFile(file, 'x')
    await expect(writeReport({ evaluation: evaluation() }, join(file, 'report'))).rejects.toThrow(ReportWriteError)
    await expect(writeReport({ evaluation: evaluation() }, join(file, 'report'))).rejects.toThrow(
      /a-file\/report: cannot create the report folder/,
    )
    // report.md is a folder: renaming over it fails; the folder and its content stay.
    await mkdir(join(dir, 'report.md'))
    await writeFile(join(dir, 'report.md', 'inside'), 'y')
    await expect(writeReport({ evaluation: evaluation() }, dir)).rejects.toThrow(/report\.md: cannot write the file/)
    expect(await readFile(join(dir, 'report.md', 'inside'), 'utf8')).toBe('y')
    expect((await readdir(dir)).filter((f) => f.includes('.tmp-'))).toEqual([])
  })
})
