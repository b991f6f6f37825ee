import { describe, expect, it } from 'vitest'
import { BatchFiller } from './batch'
import { createRng } from '@mnist/data/stats'
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
    const identity = { ...DEFAULT_AUGMENTATION, degrees: 0, translate: 0, scaleMin: 1, scaleMax: 1 }
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

  it('with pixel noise, adds it from its own stream after the warp (the transforms do not change)', () => {
    const identity = { ...DEFAULT_AUGMENTATION, degrees: 0, translate: 0, scaleMin: 1, scaleMax: 1 }
    const order = Uint32Array.from([4, 8, 1])
    const clean = new BatchFiller({ images, labels, rows, cols }, 3, norm, 10, 'indices')
    clean.fill(order, 0, 3)
    const fill = (ranges: typeof identity, seed = 7) => {
      const f = new BatchFiller({ images, labels, rows, cols }, 3, norm, 10, 'indices')
      let draws = 0
      f.fill(order, 0, 3, { random: () => (draws++, 0.5), ranges, noise: createRng(seed) })
      expect(draws).toBe(12)
      return f.batch.images.slice(0, 3 * rows * cols)
    }
    // noise 0: the noise stream is not read and the images are the clean ones
    const off = fill(identity)
    for (let i = 0; i < off.length; i++) expect(off[i]).toBeCloseTo(clean.batch.images[i]!, 5)
    // salt-and-pepper only, every image: changed pixels are exactly black or white, about rate/2 of them at most
    const black = (0 / 255 - norm.mean) / norm.std
    const white = (255 / 255 - norm.mean) / norm.std
    const sp = fill({ ...identity, noise: 1, noiseSigma: 0, noiseSaltPepper: 1 })
    let changed = 0
    for (let i = 0; i < sp.length; i++) {
      if (Math.abs(sp[i]! - clean.batch.images[i]!) > 1e-5) {
        changed++
        expect([black, white].some((v) => Math.abs(sp[i]! - v) < 1e-5)).toBe(true)
      }
    }
    expect(changed).toBeGreaterThan(0)
    // Gaussian only: every pixel of a noisy image moves, the mean change stays near 0
    const g = fill({ ...identity, noise: 1, noiseSigma: 0.5, noiseSaltPepper: 0 })
    const deltas = Array.from(g, (v, i) => v - clean.batch.images[i]!)
    expect(deltas.filter((d) => d !== 0).length).toBeGreaterThan(g.length * 0.9)
    expect(deltas.some((d) => d > 0) && deltas.some((d) => d < 0)).toBe(true)
    expect(Math.max(...deltas.map(Math.abs))).toBeLessThan(0.5 * 6)
    // same seed, same noise; another seed, other noise
    expect([...fill({ ...identity, noise: 1 }, 3)]).toEqual([...fill({ ...identity, noise: 1 }, 3)])
    expect([...fill({ ...identity, noise: 1 }, 3)]).not.toEqual([...fill({ ...identity, noise: 1 }, 4)])
  })
})
