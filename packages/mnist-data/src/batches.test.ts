import { describe, expect, it } from 'vitest'
import { batches, shuffledIndices } from './batches'
import { DATASETS, normalizationFor } from './datasets'
import { OptionError } from './errors'
import { computeNormalization, MNIST_NORMALIZATION, normalizeImages } from './normalization'

function toy(count: number, pixels = 4): { images: Uint8Array; labels: Uint8Array } {
  const images = new Uint8Array(count * pixels)
  // Pixel value encodes the sample index, so a batch shows which samples it holds.
  for (let i = 0; i < count; i++) images.fill(i % 256, i * pixels, (i + 1) * pixels)
  const labels = Uint8Array.from({ length: count }, (_, i) => i % 10)
  return { images, labels }
}

describe('shuffledIndices', () => {
  it('gives a fixed permutation for a seed', () => {
    expect(Array.from(shuffledIndices(10, 1))).toEqual(Array.from(shuffledIndices(10, 1)))
    expect(Array.from(shuffledIndices(10, 1))).not.toEqual(Array.from(shuffledIndices(10, 2)))
    expect(Array.from(shuffledIndices(10, 7))).toMatchInlineSnapshot(`
      [
        6,
        5,
        8,
        1,
        2,
        3,
        4,
        7,
        9,
        0,
      ]
    `)
  })

  it('is a permutation', () => {
    const order = shuffledIndices(60000, 123)
    const seen = new Uint8Array(60000)
    for (const i of order) seen[i]!++
    expect(seen.every((c) => c === 1)).toBe(true)
    expect(Array.from(order.subarray(0, 20))).not.toEqual(Array.from({ length: 20 }, (_, i) => i))
  })

  it('rejects bad arguments', () => {
    expect(() => shuffledIndices(-1, 0)).toThrow(OptionError)
    expect(() => shuffledIndices(3, 0.5)).toThrow(OptionError)
  })
})

describe('normalisation', () => {
  it('uses the MNIST constants by default', () => {
    const out = normalizeImages(Uint8Array.from([0, 255, 51]))
    expect(out[0]).toBeCloseTo(-0.1307 / 0.3081, 6)
    expect(out[1]).toBeCloseTo((1 - 0.1307) / 0.3081, 6)
    expect(out[2]).toBeCloseTo((0.2 - 0.1307) / 0.3081, 6)
  })

  it('writes into `out` and honours custom stats', () => {
    const out = new Float32Array(2)
    expect(normalizeImages(Uint8Array.from([0, 255]), out, { mean: 0.5, std: 0.5 })).toBe(out)
    expect(Array.from(out)).toEqual([-1, 1])
    expect(() => normalizeImages(new Uint8Array(3), new Float32Array(2))).toThrow(OptionError)
    expect(() => normalizeImages(new Uint8Array(1), undefined, { mean: 0, std: 0 })).toThrow(OptionError)
  })

  it('has the per-dataset constants', () => {
    expect(normalizationFor('mnist')).toEqual({ mean: 0.1307, std: 0.3081 })
    expect(normalizationFor('fashion-mnist')).toEqual({ mean: 0.286, std: 0.353 })
    expect(normalizationFor('custom')).toEqual({ mean: 0, std: 1 })
    expect(DATASETS.mnist.normalization).toEqual(normalizationFor('mnist'))
    // One owner: the dataset table holds the exported constant itself, frozen.
    expect(DATASETS.mnist.normalization).toBe(MNIST_NORMALIZATION)
    expect(Object.isFrozen(MNIST_NORMALIZATION)).toBe(true)
    expect(() => normalizationFor('emnist' as 'mnist')).toThrow(/unknown dataset/)
  })

  it('computes mean and std', () => {
    const n = computeNormalization(Uint8Array.from([0, 255, 0, 255]))
    expect(n.mean).toBeCloseTo(0.5, 12)
    expect(n.std).toBeCloseTo(0.5, 12)
  })
})

describe('batches', () => {
  it('yields every sample exactly once per epoch, in file order without shuffle', () => {
    const { images, labels } = toy(10)
    const list = [...batches({ images, labels, batchSize: 4 })]
    expect(list.map((b) => b.size)).toEqual([4, 4, 2])
    expect(list.flatMap((b) => Array.from(b.indices))).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
    expect(list[2]!.images.length).toBe(2 * 4)
    expect(Array.from(list[1]!.labels)).toEqual([4, 5, 6, 7])
  })

  it('shuffles deterministically for a seed, every index once', () => {
    const { images, labels } = toy(1000)
    const run = (seed: number) =>
      [...batches({ images, labels, batchSize: 64, shuffle: true, seed })].flatMap((b) => Array.from(b.indices))
    const a = run(5)
    expect(run(5)).toEqual(a)
    expect(run(6)).not.toEqual(a)
    expect([...a].sort((x, y) => x - y)).toEqual(Array.from({ length: 1000 }, (_, i) => i))
    expect(a).toEqual(Array.from(shuffledIndices(1000, 5)))
  })

  it('restarts in the same order on each loop', () => {
    const { images, labels } = toy(20)
    const it = batches({ images, labels, batchSize: 6, shuffle: true, seed: 3 })
    const first = [...it].map((b) => Array.from(b.indices))
    expect([...it].map((b) => Array.from(b.indices))).toEqual(first)
  })

  it('drops the short last batch with dropLast', () => {
    const { images, labels } = toy(10)
    const list = [...batches({ images, labels, batchSize: 4, dropLast: true, shuffle: true, seed: 1 })]
    expect(list.map((b) => b.size)).toEqual([4, 4])
  })

  it('keeps images, labels and indices aligned and normalised', () => {
    const { images, labels } = toy(30, 3)
    for (const b of batches({ images, labels, batchSize: 7, shuffle: true, seed: 9, dataset: 'fashion-mnist' })) {
      for (let k = 0; k < b.size; k++) {
        const i = b.indices[k]!
        expect(b.labels[k]).toBe(i % 10)
        expect(b.images[k * 3 + 2]).toBeCloseTo((i / 255 - 0.286) / 0.353, 5)
      }
    }
    const [first] = batches({ images, labels, batchSize: 1, normalization: { mean: 0, std: 1 } })
    expect(Array.from(first!.images)).toEqual([0, 0, 0])
  })

  it('rejects inconsistent input', () => {
    expect(() => batches({ images: new Uint8Array(10), labels: new Uint8Array(3), batchSize: 1 })).toThrow(OptionError)
    expect(() => batches({ images: new Uint8Array(4), labels: new Uint8Array(2), batchSize: 0 })).toThrow(/batchSize/)
  })
})
