// Pure metric functions: no tfjs, usable on any labels (from this package, a Python run, a browser...).
import { DatasetShapeError, InvalidOptionError, describe } from './errors'

/** Precision, recall, F1 and support of one class. */
export interface ClassMetrics {
  /** The class index (the digit for MNIST). */
  digit: number
  /** tp / (tp + fp): of the images predicted as this class, the fraction that are. 0 when the class was never predicted. */
  precision: number
  /** tp / (tp + fn): of the images of this class, the fraction found. 0 when the class has no images. */
  recall: number
  /** Harmonic mean of precision and recall; 0 when both are 0. */
  f1: number
  /** Number of images whose true label is this class. */
  support: number
}

/** Unweighted means over classes of precision, recall and F1 (sklearn's "macro" average). */
export interface MacroAverage {
  precision: number
  recall: number
  f1: number
}

/**
 * Builds a `classes` x `classes` confusion matrix: `matrix[t][p]` counts the images with true label `t` that were
 * predicted as `p` (rows true, columns predicted).
 */
export function confusionMatrix(
  trueLabels: ArrayLike<number>,
  predictedLabels: ArrayLike<number>,
  classes = 10,
): number[][] {
  if (!Number.isInteger(classes) || classes < 1) {
    throw new InvalidOptionError('classes', 'a positive integer', classes)
  }
  if (trueLabels.length !== predictedLabels.length) {
    throw new DatasetShapeError(
      `confusionMatrix: trueLabels and predictedLabels must have the same length, found ${trueLabels.length} and ${predictedLabels.length}`,
    )
  }
  const matrix = Array.from({ length: classes }, () => new Array<number>(classes).fill(0))
  for (let i = 0; i < trueLabels.length; i++) {
    const t = trueLabels[i]!
    const p = predictedLabels[i]!
    checkLabel('trueLabels', i, t, classes)
    checkLabel('predictedLabels', i, p, classes)
    matrix[t]![p]!++
  }
  return matrix
}

/**
 * Per-class precision, recall, F1 and support from a confusion matrix (rows true, columns predicted).
 * A class that is never predicted has precision 0 and a class with no images has recall 0 (never NaN), as
 * scikit-learn does with `zero_division=0`; F1 is 0 whenever precision + recall is 0.
 */
export function perClassMetrics(confusion: readonly (readonly number[])[]): ClassMetrics[] {
  const n = checkSquare(confusion)
  const result: ClassMetrics[] = []
  for (let c = 0; c < n; c++) {
    const tp = confusion[c]![c]!
    let rowSum = 0
    let colSum = 0
    for (let k = 0; k < n; k++) {
      rowSum += confusion[c]![k]!
      colSum += confusion[k]![c]!
    }
    const precision = colSum === 0 ? 0 : tp / colSum
    const recall = rowSum === 0 ? 0 : tp / rowSum
    const f1 = precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall)
    result.push({ digit: c, precision, recall, f1, support: rowSum })
  }
  return result
}

/** Fraction of correct predictions (trace / total) in [0, 1]; 0 for an empty matrix. */
export function accuracyFromConfusion(confusion: readonly (readonly number[])[]): number {
  const n = checkSquare(confusion)
  let correct = 0
  let total = 0
  for (let t = 0; t < n; t++) {
    for (let p = 0; p < n; p++) total += confusion[t]![p]!
    correct += confusion[t]![t]!
  }
  return total === 0 ? 0 : correct / total
}

/** Macro (unweighted) averages of per-class metrics; every class counts once, including empty ones. */
export function macroAverage(perClass: readonly ClassMetrics[]): MacroAverage {
  if (perClass.length === 0) return { precision: 0, recall: 0, f1: 0 }
  let precision = 0
  let recall = 0
  let f1 = 0
  for (const m of perClass) {
    precision += m.precision
    recall += m.recall
    f1 += m.f1
  }
  return { precision: precision / perClass.length, recall: recall / perClass.length, f1: f1 / perClass.length }
}

function checkLabel(name: string, index: number, value: number, classes: number): void {
  if (!Number.isInteger(value) || value < 0 || value >= classes) {
    throw new DatasetShapeError(
      `confusionMatrix: ${name}[${index}] must be an integer class in 0..${classes - 1}, found ${describe(value)}`,
    )
  }
}

function checkSquare(confusion: readonly (readonly number[])[]): number {
  const n = confusion.length
  for (let r = 0; r < n; r++) {
    const row = confusion[r]
    if (!Array.isArray(row) || row.length !== n) {
      throw new DatasetShapeError(
        `confusion matrix must be square (${n}x${n}), found row ${r} with ${Array.isArray(row) ? row.length : describe(row)} entries`,
      )
    }
    for (let c = 0; c < n; c++) {
      const v = row[c]
      if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) {
        throw new DatasetShapeError(`confusion matrix entry [${r}][${c}] must be a count >= 0, found ${describe(v)}`)
      }
    }
  }
  return n
}
