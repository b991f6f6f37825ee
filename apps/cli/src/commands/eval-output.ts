import type { EvalResult, NoiseResult } from '@mnist/eval'

// What `mnist eval` prints: the --json object and the human summary.

/** How fast the clean pass ran (images through `evaluate`, normalisation and metrics included) and how. */
export interface Speed {
  imagesPerSecond: number
  /** `fused`: the backend's fused forward pass (simd); `tfjs`: `model.predict`. */
  inference: 'fused' | 'tfjs'
}

export function jsonResult(
  e: EvalResult,
  noise: NoiseResult | undefined,
  backend: string,
  dataset: string,
  reportFiles: string[] | undefined,
  speed: Speed,
): Record<string, unknown> {
  return {
    accuracy: e.accuracy,
    loss: e.loss,
    count: e.count,
    errors: e.misclassified.length,
    confusion: e.confusion,
    perClass: e.perClass,
    noise: noise ? noise.gaussian : [],
    saltPepper: noise ? noise.saltPepper : [],
    meanLogitDelta: noise ? noise.meanLogitDelta : null,
    seed: noise ? noise.seed : null,
    dataset,
    backend,
    imagesPerSecond: speed.imagesPerSecond,
    inference: speed.inference,
    ...(reportFiles ? { report: reportFiles } : {}),
  }
}

export function humanSummary(
  e: EvalResult,
  noise: NoiseResult | undefined,
  modelDir: string,
  dataset: string,
  reportFiles: string[] | undefined,
  speed: Speed,
): string {
  const pct = (x: number): string => `${(x * 100).toFixed(2)} %`
  const out: string[] = []
  out.push(`model:    ${modelDir}`)
  out.push(`dataset:  ${dataset} test split, ${e.count} images`)
  out.push(`accuracy: ${pct(e.accuracy)} (${e.misclassified.length} errors)`)
  out.push(`loss:     ${e.loss.toFixed(4)} (mean cross-entropy)`)
  const how = speed.inference === 'fused' ? 'fused inference' : 'tfjs model.predict'
  out.push(`speed:    ${Math.round(speed.imagesPerSecond).toLocaleString('en-US')} images/s (clean pass, ${how})`)
  out.push('')
  out.push('digit  precision  recall  f1      support')
  for (const c of e.perClass) {
    out.push(
      `${String(c.digit).padEnd(7)}${c.precision.toFixed(4).padEnd(11)}${c.recall.toFixed(4).padEnd(8)}${c.f1.toFixed(4).padEnd(8)}${c.support}`,
    )
  }
  out.push('')
  out.push('confusion matrix (rows: true, columns: predicted)')
  const width = Math.max(4, ...e.confusion.flat().map((v) => String(v).length + 1))
  out.push(`     ${e.confusion.map((_, p) => String(p).padStart(width)).join('')}`)
  e.confusion.forEach((row, t) =>
    out.push(`  ${String(t).padEnd(3)}${row.map((v) => String(v).padStart(width)).join('')}`),
  )
  if (noise) {
    out.push('')
    out.push(`noise robustness (seed ${noise.seed})`)
    for (const g of noise.gaussian) out.push(`  Gaussian sigma ${String(g.sigma).padEnd(6)} ${pct(g.accuracy)}`)
    for (const s of noise.saltPepper) out.push(`  salt-and-pepper ${String(s.rate).padEnd(5)} ${pct(s.accuracy)}`)
    out.push(`  mean |delta logit| at sigma ${noise.meanLogitDeltaSigma}: ${noise.meanLogitDelta.toFixed(4)}`)
  }
  if (reportFiles) {
    out.push('')
    out.push(`report: ${reportFiles.join(', ')}`)
  }
  return `${out.join('\n')}\n`
}
