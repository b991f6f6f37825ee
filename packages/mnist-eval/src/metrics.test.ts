import { describe, expect, it } from 'vitest'
import { DatasetShapeError, InvalidOptionError } from './errors'
import { accuracyFromConfusion, confusionMatrix, macroAverage, perClassMetrics } from './metrics'

describe('confusionMatrix', () => {
  it('counts rows = true, columns = predicted', () => {
    const m = confusionMatrix([0, 0, 1, 2, 2, 2], [0, 1, 1, 2, 0, 2], 3)
    expect(m).toEqual([
      [1, 1, 0],
      [0, 1, 0],
      [1, 0, 2],
    ])
  })

  it('defaults to 10 classes and accepts typed arrays', () => {
    const m = confusionMatrix(Uint8Array.of(9, 3), Uint8Array.of(4, 3))
    expect(m).toHaveLength(10)
    expect(m.every((row) => row.length === 10)).toBe(true)
    expect(m[9]![4]).toBe(1)
    expect(m[3]![3]).toBe(1)
    expect(m.flat().reduce((a, b) => a + b, 0)).toBe(2)
  })

  it('rejects mismatched lengths, out-of-range labels and bad class counts', () => {
    expect(() => confusionMatrix([1, 2], [1])).toThrow(DatasetShapeError)
    expect(() => confusionMatrix([1, 2], [1, 2])).not.toThrow()
    expect(() => confusionMatrix([10], [1])).toThrow(/trueLabels\[0\] must be an integer class in 0..9, found 10/)
    expect(() => confusionMatrix([1], [1.5])).toThrow(/predictedLabels\[0\]/)
    expect(() => confusionMatrix([0], [0], 0)).toThrow(InvalidOptionError)
  })
})

describe('perClassMetrics', () => {
  it('gives the exact precision / recall / F1 / support of a hand-computed example', () => {
    // true 0: 3 images, predicted 0,0,1; true 1: 2 images, predicted 1,0; true 2: 1 image, predicted 2.
    const m = confusionMatrix([0, 0, 0, 1, 1, 2], [0, 0, 1, 1, 0, 2], 3)
    const [c0, c1, c2] = perClassMetrics(m)
    // class 0: tp 2, fp 1 (a 1 predicted as 0), fn 1
    expect(c0!.precision).toBeCloseTo(2 / 3, 12)
    expect(c0!.recall).toBeCloseTo(2 / 3, 12)
    expect(c0!.f1).toBeCloseTo(2 / 3, 12)
    expect(c0!.support).toBe(3)
    // class 1: tp 1, fp 1, fn 1
    expect(c1).toEqual({ digit: 1, precision: 0.5, recall: 0.5, f1: 0.5, support: 2 })
    expect(c2).toEqual({ digit: 2, precision: 1, recall: 1, f1: 1, support: 1 })
  })

  it('uses 0 (not NaN) for a class never predicted and for a class with no images', () => {
    // class 1 is never predicted; class 2 has no images but is predicted once.
    const m = [
      [2, 0, 1],
      [1, 0, 0],
      [0, 0, 0],
    ]
    const [c0, c1, c2] = perClassMetrics(m)
    expect(c1).toEqual({ digit: 1, precision: 0, recall: 0, f1: 0, support: 1 })
    expect(c2).toEqual({ digit: 2, precision: 0, recall: 0, f1: 0, support: 0 })
    expect(c0!.precision).toBeCloseTo(2 / 3, 12)
    expect(c0!.recall).toBeCloseTo(2 / 3, 12)
    for (const c of perClassMetrics(m)) {
      for (const v of [c.precision, c.recall, c.f1]) expect(Number.isNaN(v)).toBe(false)
    }
  })

  it('F1 is the harmonic mean when precision and recall differ', () => {
    // class 0: tp 1, fp 3, fn 0 -> precision 0.25, recall 1, F1 = 0.4
    const m = [
      [1, 0],
      [3, 1],
    ]
    const [c0, c1] = perClassMetrics(m)
    expect(c0!.precision).toBe(0.25)
    expect(c0!.recall).toBe(1)
    expect(c0!.f1).toBeCloseTo(0.4, 12)
    expect(c1!.precision).toBe(1)
    expect(c1!.recall).toBe(0.25)
  })

  it('rejects a matrix that is not square or holds non-counts', () => {
    expect(() => perClassMetrics([[1, 2], [3]])).toThrow(DatasetShapeError)
    expect(() =>
      perClassMetrics([
        [1, -1],
        [0, 1],
      ]),
    ).toThrow(/entry \[0\]\[1\]/)
    expect(() =>
      perClassMetrics([
        [1, Number.NaN],
        [0, 1],
      ]),
    ).toThrow(DatasetShapeError)
  })
})

describe('accuracyFromConfusion and macroAverage', () => {
  it('accuracy is trace / total', () => {
    expect(
      accuracyFromConfusion([
        [3, 1],
        [0, 4],
      ]),
    ).toBe(7 / 8)
    expect(accuracyFromConfusion(confusionMatrix([1, 2, 3, 4], [1, 2, 3, 5]))).toBe(0.75)
  })

  it('accuracy of an empty matrix is 0', () => {
    expect(
      accuracyFromConfusion([
        [0, 0],
        [0, 0],
      ]),
    ).toBe(0)
    expect(accuracyFromConfusion([])).toBe(0)
  })

  it('macro average is the unweighted mean over classes', () => {
    const per = perClassMetrics([
      [1, 0],
      [3, 1],
    ])
    const macro = macroAverage(per)
    expect(macro.precision).toBeCloseTo((0.25 + 1) / 2, 12)
    expect(macro.recall).toBeCloseTo((1 + 0.25) / 2, 12)
    expect(macro.f1).toBeCloseTo(0.4, 12)
    expect(macroAverage([])).toEqual({ precision: 0, recall: 0, f1: 0 })
  })
})
