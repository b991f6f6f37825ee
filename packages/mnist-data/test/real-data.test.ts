import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { batches } from '../src/batches'
import { loadMnist, type MnistSplit } from '../src/load'
import { realMnistDir } from './fixtures'

function histogram(split: MnistSplit): number[] {
  const h = new Array<number>(10).fill(0)
  for (const l of split.labels) h[l]!++
  return h
}

describe('real MNIST (MNIST_DATA_DIR)', () => {
  it('loads through the normal source order, verified, with the known counts and label histograms', async () => {
    realMnistDir()
    const data = await loadMnist()
    expect(data).toMatchObject({ dataset: 'mnist', source: 'dataDir', verified: true })
    expect(data.train).toMatchObject({ count: 60000, rows: 28, cols: 28 })
    expect(data.test).toMatchObject({ count: 10000, rows: 28, cols: 28 })
    expect(data.train.images.length).toBe(60000 * 784)
    expect(histogram(data.train)).toEqual([5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949])
    expect(histogram(data.test)).toEqual([980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009])

    // The published normalisation constants describe this training set.
    let sum = 0
    let squares = 0
    for (const b of batches({ images: data.train.images, labels: data.train.labels, batchSize: 10000 })) {
      for (const x of b.images) {
        sum += x
        squares += x * x
      }
    }
    const n = data.train.images.length
    expect(sum / n).toBeCloseTo(0, 3)
    expect(Math.sqrt(squares / n - (sum / n) ** 2)).toBeCloseTo(1, 3)
  }, 60_000)
})

// Fashion-MNIST comes from Debian's dataset-fashion-mnist. CI installs it, so there a missing folder fails;
// on a developer machine without it the test is skipped and says why.
const fashionDir = process.env.MNIST_FASHION_DIR || '/usr/share/datasets/fashion-mnist'
const haveFashion = existsSync(fashionDir)
if (!haveFashion && !process.env.CI) {
  console.warn(
    `[@mnist/data] skipping Fashion-MNIST test: ${fashionDir} not found (apt-get install -y dataset-fashion-mnist, or set MNIST_FASHION_DIR)`,
  )
}

describe.skipIf(!haveFashion && !process.env.CI)('real Fashion-MNIST (MNIST_FASHION_DIR)', () => {
  it('loads verified, 6000 per class in train and 1000 in test', async () => {
    expect(existsSync(fashionDir), `${fashionDir} must exist in CI (apt-get install -y dataset-fashion-mnist)`).toBe(
      true,
    )
    const data = await loadMnist({ dataset: 'fashion-mnist', dataDir: fashionDir })
    expect(data).toMatchObject({ dataset: 'fashion-mnist', verified: true })
    expect(data.train).toMatchObject({ count: 60000, rows: 28, cols: 28 })
    expect(data.test).toMatchObject({ count: 10000, rows: 28, cols: 28 })
    expect(histogram(data.train)).toEqual(new Array(10).fill(6000))
    expect(histogram(data.test)).toEqual(new Array(10).fill(1000))
  }, 60_000)
})
