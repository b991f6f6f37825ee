import { describe, expect, it } from 'vitest'
import { BatchFiller } from './batch'
import { DEFAULT_AUGMENTATION } from './augment'

const rows = 4
const cols = 3
const count = 10
const images = Uint8Array.from({ length: count * rows * cols }, (_, i) => (i * 37) % 256)
const labels = Uint8Array.from({ length: count }, (_, i) => (i * 3) % 10)
const norm = { mean: 0.1307, std: 0.3081 }

describe('BatchFiller', () => {
  it('gathers the examples in `order` from `start`, normalised, with their labels and one-hot rows', () => {
    const filler = new BatchFiller({ images, labels, rows, cols }, 4, norm, 10, 'oneHot')
    const order = Uint32Array.from([9, 2, 7, 0, 5, 1, 3, 4, 6, 8])
    filler.fill(order, 2, 3)
    const { images: x, labels: y, oneHot } = filler.batch
    expect([...y.subarray(0, 3)]).toEqual([labels[7], labels[0], labels[5]])
    for (const [k, index] of [7, 0, 5].entries()) {
      for (let p = 0; p < rows * cols; p++) {
        expect(x[k * rows * cols + p]).toBeCloseTo((images[index * rows * cols + p]! / 255 - norm.mean) / norm.std, 5)
      }
      const row = [...oneHot!.subarray(k * 10, k * 10 + 10)]
      expect(row.indexOf(1)).toBe(labels[index])
      expect(row.reduce((a, b) => a + b, 0)).toBe(1)
    }
  })

  it('clears the one-hot rows of the previous batch, and has none when not asked for', () => {
    const filler = new BatchFiller({ images, labels, rows, cols }, 2, norm, 10, 'oneHot')
    filler.fill(Uint32Array.from([1, 2]), 0, 2)
    filler.fill(Uint32Array.from([3, 4]), 0, 2)
    expect(filler.batch.oneHot!.reduce((a, b) => a + b, 0)).toBe(2)
    expect(new BatchFiller({ images, labels, rows, cols }, 2, norm, 10, 'indices').batch.oneHot).toBeUndefined()
  })

  it('with augmentation, draws four numbers per image and warps (identity ranges reproduce the plain fill)', () => {
    const identity = { degrees: 0, translate: 0, scaleMin: 1, scaleMax: 1 }
    const plain = new BatchFiller({ images, labels, rows, cols }, 3, norm, 10, 'indices')
    const warped = new BatchFiller({ images, labels, rows, cols }, 3, norm, 10, 'indices')
    const order = Uint32Array.from([4, 8, 1])
    plain.fill(order, 0, 3)
    let draws = 0
    warped.fill(order, 0, 3, { random: () => (draws++, 0.5), ranges: identity })
    expect(draws).toBe(12)
    for (let i = 0; i < 3 * rows * cols; i++) expect(warped.batch.images[i]).toBeCloseTo(plain.batch.images[i]!, 5)
    warped.fill(order, 0, 3, { random: () => 0.99, ranges: DEFAULT_AUGMENTATION })
    expect([...warped.batch.images]).not.toEqual([...plain.batch.images])
  })
})
