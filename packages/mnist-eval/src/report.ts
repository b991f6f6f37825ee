import { resolve } from 'node:path'
import type { LabeledImages } from './_inference'
import { DatasetShapeError, InvalidOptionError } from './errors'
import type { EvalResult } from './evaluate'
import { macroAverage } from './metrics'
import type { NoiseResult } from './noise'
import { renderConfusionMatrix, renderDigitGrid, renderNoiseCurve } from './render'
import { writeFolderAtomically } from './write-folder'

/** Free-form facts about the model shown in the report (e.g. @mnist/model's metadata plus its folder). */
export type ReportModelInfo = Readonly<Record<string, unknown>>

/** What `writeReport` puts on disk. */
export interface ReportInput {
  evaluation: EvalResult
  noise?: NoiseResult
  /** The images that were evaluated, in the same order: needed for `misclassified.png`. */
  images?: LabeledImages
  model?: ReportModelInfo
  /** Dataset name shown in the report (e.g. "mnist"). */
  dataset?: string
  /** Most misclassified digits drawn in `misclassified.png` (default 100, first ones by index). */
  maxMisclassified?: number
}

export interface WriteReportResult {
  /** Absolute paths of the files written. */
  files: string[]
}

/**
 * Writes `report.json`, `report.md`, `confusion.png`, `noise.png` (when `noise` is given) and `misclassified.png`
 * (when `images` is given) into `dir`, creating it if needed. Everything is rendered in memory first, then written
 * all-or-nothing (see `writeFolderAtomically`): a failure such as a full disk leaves no partial report, no temporary
 * files, and every file already in `dir` as it was.
 */
export async function writeReport(report: ReportInput, dir: string): Promise<WriteReportResult> {
  const { evaluation, noise, images } = report
  if (typeof dir !== 'string' || dir.length === 0) throw new InvalidOptionError('dir', 'a folder path', dir)
  if (!evaluation || !Array.isArray(evaluation.confusion)) {
    throw new InvalidOptionError('report.evaluation', 'an EvalResult from evaluate()', evaluation)
  }
  const maxMisclassified = report.maxMisclassified ?? 100
  if (!Number.isInteger(maxMisclassified) || maxMisclassified < 0) {
    throw new InvalidOptionError('report.maxMisclassified', 'an integer >= 0', maxMisclassified)
  }
  const target = resolve(dir)
  const outputs: [string, Uint8Array | string][] = []
  outputs.push(['report.json', `${JSON.stringify(reportJson(report), null, 2)}\n`])
  outputs.push(['report.md', renderMarkdownReport(report)])
  outputs.push(['confusion.png', renderConfusionMatrix(evaluation.confusion)])
  if (noise) {
    outputs.push([
      'noise.png',
      renderNoiseCurve(noise, {
        title: `Accuracy under noise (n = ${noise.count}, seed ${noise.seed}); mean |delta logit| at sigma ${noise.meanLogitDeltaSigma}: ${noise.meanLogitDelta.toFixed(4)}`,
      }),
    ])
  }
  if (images) outputs.push(['misclassified.png', misclassifiedGrid(evaluation, images, maxMisclassified)])

  return { files: await writeFolderAtomically(target, outputs) }
}

/** The Markdown text of `report.md`: overall numbers, per-class table, confusion matrix, noise tables. */
export function renderMarkdownReport(report: ReportInput): string {
  const { evaluation: e, noise } = report
  const pct = (x: number): string => `${(x * 100).toFixed(2)} %`
  const f4 = (x: number): string => x.toFixed(4)
  const macro = macroAverage(e.perClass)
  const lines: string[] = []
  lines.push('# Evaluation report', '')
  lines.push(`Generated ${new Date().toISOString()} by @mnist/eval.`, '')
  if (report.model && Object.keys(report.model).length > 0) {
    lines.push('## Model', '', '| field | value |', '|---|---|')
    for (const [key, value] of Object.entries(report.model)) {
      if (value === undefined || value === null) continue
      const text = typeof value === 'object' ? JSON.stringify(value) : String(value)
      lines.push(`| ${escapeCell(key)} | ${escapeCell(text.length > 200 ? `${text.slice(0, 197)}...` : text)} |`)
    }
    lines.push('')
  }
  lines.push('## Overall', '', '| metric | value |', '|---|---|')
  if (report.dataset) lines.push(`| dataset | ${escapeCell(report.dataset)} |`)
  lines.push(
    `| images | ${e.count} |`,
    `| accuracy | ${pct(e.accuracy)} |`,
    `| errors | ${e.misclassified.length} |`,
    `| loss (mean cross-entropy) | ${f4(e.loss)} |`,
    `| macro precision | ${f4(macro.precision)} |`,
    `| macro recall | ${f4(macro.recall)} |`,
    `| macro F1 | ${f4(macro.f1)} |`,
  )
  if (noise) lines.push(`| mean abs logit change, sigma ${noise.meanLogitDeltaSigma} | ${f4(noise.meanLogitDelta)} |`)
  lines.push('')
  lines.push('## Per class', '', '| class | precision | recall | F1 | support |', '|---:|---:|---:|---:|---:|')
  for (const m of e.perClass)
    lines.push(`| ${m.digit} | ${f4(m.precision)} | ${f4(m.recall)} | ${f4(m.f1)} | ${m.support} |`)
  lines.push('', 'Precision is 0 for a class that was never predicted, recall 0 for a class with no images.', '')
  const n = e.confusion.length
  lines.push('## Confusion matrix', '', 'Rows: true class. Columns: predicted class.', '')
  lines.push(`| true \\ pred | ${Array.from({ length: n }, (_, i) => i).join(' | ')} |`)
  lines.push(`|---:|${'---:|'.repeat(n)}`)
  e.confusion.forEach((row, t) =>
    lines.push(`| **${t}** | ${row.map((v, p) => (p === t ? `**${v}**` : String(v))).join(' | ')} |`),
  )
  lines.push('', '![confusion matrix](confusion.png)', '')
  if (noise) {
    lines.push('## Noise robustness', '')
    lines.push(
      `${noise.count} images, seed ${noise.seed}. Gaussian noise is added to the normalised input; salt-and-pepper sets a fraction of the pixels to black or white (half each).`,
      '',
    )
    lines.push('| Gaussian sigma | accuracy | change |', '|---:|---:|---:|')
    for (const g of noise.gaussian)
      lines.push(`| ${g.sigma} | ${pct(g.accuracy)} | ${signedPoints(g.accuracy - noise.cleanAccuracy)} |`)
    if (noise.saltPepper.length > 0) {
      lines.push('', '| salt-and-pepper rate | accuracy | change |', '|---:|---:|---:|')
      for (const s of noise.saltPepper)
        lines.push(`| ${s.rate} | ${pct(s.accuracy)} | ${signedPoints(s.accuracy - noise.cleanAccuracy)} |`)
    }
    lines.push(
      '',
      `Mean |logits(clean) - logits(noisy)| at sigma ${noise.meanLogitDeltaSigma}: ${f4(noise.meanLogitDelta)}.`,
      '',
    )
    lines.push('![accuracy under noise](noise.png)', '')
  }
  if (report.images) {
    const shown = Math.min(e.misclassified.length, report.maxMisclassified ?? 100)
    lines.push('## Misclassified', '')
    lines.push(
      `${e.misclassified.length} of ${e.count} images are misclassified${shown < e.misclassified.length ? `; the first ${shown} are shown` : ''}. Caption: true -> predicted.`,
      '',
    )
    lines.push('![misclassified digits](misclassified.png)', '')
  }
  return `${lines.join('\n')}\n`
}

function reportJson(report: ReportInput): Record<string, unknown> {
  const { predicted: _predicted, ...evaluation } = report.evaluation
  return {
    createdAt: new Date().toISOString(),
    dataset: report.dataset,
    model: report.model,
    evaluation: { ...evaluation, macro: macroAverage(evaluation.perClass) },
    noise: report.noise,
  }
}

function misclassifiedGrid(e: EvalResult, images: LabeledImages, max: number): Uint8Array {
  const rows = images.rows ?? 28
  const cols = images.cols ?? 28
  const pixels = rows * cols
  if (!e.predicted)
    throw new DatasetShapeError('writeReport: evaluation.predicted is missing; it is needed to label misclassified.png')
  if (images.count < e.count || images.images.length < e.count * pixels) {
    throw new DatasetShapeError(
      `writeReport: images holds ${images.count} images but the evaluation covered ${e.count}`,
    )
  }
  const shown = e.misclassified.slice(0, max)
  const cells = shown.map((i) => ({
    pixels: images.images.subarray(i * pixels, (i + 1) * pixels),
    caption: `#${i}: ${images.labels[i]} \u2192 ${e.predicted![i]}`,
    captionColor: '#b3261e',
  }))
  const title =
    e.misclassified.length === 0
      ? `No misclassified images (of ${e.count})`
      : `Misclassified: ${e.misclassified.length} of ${e.count}` +
        `${shown.length < e.misclassified.length ? ` (first ${shown.length} shown)` : ''} - caption: index: true \u2192 predicted`
  return renderDigitGrid(cells, { columns: 10, scale: 3, rows, cols, title })
}

function signedPoints(delta: number): string {
  const points = delta * 100
  return `${points >= 0 ? '+' : ''}${points.toFixed(2)} pt`
}

function escapeCell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ')
}
