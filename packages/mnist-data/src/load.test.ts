import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { writeToyDataset } from '../test/fixtures'
import { ChecksumError, DatasetError, IdxFormatError, OptionError } from './errors'
import { loadMnist } from './load'

let root: string
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mnist-load-'))
  // Nothing in these tests may fall through to the real cache or network.
  vi.stubEnv('MNIST_DATA_DIR', '')
  vi.stubEnv('MNIST_MIRROR', 'http://127.0.0.1:9/')
  vi.stubEnv('MNIST_CACHE_DIR', join(root, 'cache'))
})
afterEach(() => {
  vi.unstubAllEnvs()
  rmSync(root, { recursive: true, force: true })
})

async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p
  } catch (error) {
    return error as Error
  }
  throw new Error('expected a rejection')
}

describe('loadMnist from a local folder', () => {
  it('loads a custom dataset, gzip or raw, and reports its shape', async () => {
    for (const gzip of [true, false]) {
      const dir = join(root, `toy-${gzip}`)
      writeToyDataset(dir, { count: 12, rows: 5, cols: 6 }, { count: 4, rows: 5, cols: 6 }, gzip)
      const data = await loadMnist({ dataset: 'custom', dataDir: dir, imageSize: 'any' })
      expect(data).toMatchObject({ dataset: 'custom', dir, source: 'dataDir', verified: false, notes: [] })
      expect(data.train).toMatchObject({ count: 12, rows: 5, cols: 6 })
      expect(data.train.images.length).toBe(12 * 30)
      expect(Array.from(data.test.labels)).toEqual([0, 1, 2, 3])
      // The models take 28x28: any other size fails at load, naming the file, unless asked for.
      const error = await rejection(loadMnist({ dataset: 'custom', dataDir: dir }))
      expect((error as DatasetError).code).toBe('DATA_BAD_SHAPE')
      expect(error.message).toContain(
        `${join(dir, 'train-images-idx3-ubyte')}${gzip ? '.gz' : ''}: expected 28x28 images`,
      )
      expect(error.message).toContain('got 5x6')
    }
  })

  it('reads MNIST_DATA_DIR, and the option wins over it', async () => {
    const a = join(root, 'a')
    const b = join(root, 'b')
    writeToyDataset(a, { count: 3 }, { count: 2 })
    writeToyDataset(b, { count: 7 }, { count: 2 })
    vi.stubEnv('MNIST_DATA_DIR', a)
    expect((await loadMnist({ dataset: 'custom' })).train.count).toBe(3)
    expect((await loadMnist({ dataset: 'custom', dataDir: b })).train.count).toBe(7)
  })

  it('names the folder and the missing file', async () => {
    const dir = join(root, 'empty')
    mkdirSync(dir)
    const error = await rejection(loadMnist({ dataDir: dir }))
    expect(error).toBeInstanceOf(DatasetError)
    expect((error as DatasetError).code).toBe('DATA_FILE_MISSING')
    expect(error.message).toContain(dir)
    expect(error.message).toContain('train-images-idx3-ubyte')
    expect(error.message).toContain('empty')
    const missing = await rejection(loadMnist({ dataDir: join(root, 'nope') }))
    expect(missing.message).toContain('does not exist')
  })

  it('rejects files that are not the published ones when verifying', async () => {
    const dir = join(root, 'fake')
    writeToyDataset(dir)
    const error = await rejection(loadMnist({ dataset: 'mnist', dataDir: dir }))
    expect(error).toBeInstanceOf(ChecksumError)
    expect((error as ChecksumError).code).toBe('DATA_CHECKSUM_MISMATCH')
    expect(error.message).toContain(join(dir, 'train-images-idx3-ubyte.gz'))
    expect(error.message).toContain('ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db')
    // verify: false reads the same folder.
    expect((await loadMnist({ dataset: 'mnist', dataDir: dir, verify: false })).verified).toBe(false)
  })

  it('image/label count mismatch', async () => {
    const dir = join(root, 'mismatch')
    writeToyDataset(dir, { count: 12, labelCount: 11 })
    const error = await rejection(loadMnist({ dataset: 'custom', dataDir: dir }))
    expect(error).toBeInstanceOf(DatasetError)
    expect((error as DatasetError).code).toBe('DATA_COUNT_MISMATCH')
    expect(error.message).toContain('train-labels-idx1-ubyte.gz: count mismatch: expected 12 labels')
    expect(error.message).toContain('got 11')
  })

  it('label out of range for a digit dataset', async () => {
    const dir = join(root, 'labels')
    writeToyDataset(dir, { count: 12 }, { count: 5, label: (i) => (i === 3 ? 12 : 1) })
    const error = await rejection(loadMnist({ dataset: 'mnist', dataDir: dir, verify: false }))
    expect(error).toBeInstanceOf(DatasetError)
    expect((error as DatasetError).code).toBe('DATA_LABEL_OUT_OF_RANGE')
    expect(error.message).toContain(
      't10k-labels-idx1-ubyte.gz: label out of range: expected 0..9 for mnist, got 12 at index 3',
    )
    // custom datasets too: the models have ten outputs, a label of 12 would train on the next example's target.
    const custom = await rejection(loadMnist({ dataset: 'custom', dataDir: dir }))
    expect((custom as DatasetError).code).toBe('DATA_LABEL_OUT_OF_RANGE')
    expect(custom.message).toContain(
      't10k-labels-idx1-ubyte.gz: label out of range: expected 0..9 for custom, got 12 at index 3',
    )
  })

  it('wrong shapes and corrupt files', async () => {
    const dir = join(root, 'shape')
    writeToyDataset(dir, { count: 4 }, { count: 4, rows: 5 })
    const error = await rejection(loadMnist({ dataset: 'custom', dataDir: dir }))
    expect((error as DatasetError).code).toBe('DATA_BAD_SHAPE')
    writeFileSync(join(dir, 't10k-images-idx3-ubyte.gz'), Uint8Array.from([0x1f, 0x8b, 8, 0, 1, 2]))
    const gz = await rejection(loadMnist({ dataset: 'custom', dataDir: dir }))
    expect(gz).toBeInstanceOf(IdxFormatError)
    expect(gz.message).toContain(join(dir, 't10k-images-idx3-ubyte.gz'))
  })

  it('custom needs a folder; unknown datasets and bad options are typed errors', async () => {
    const custom = await rejection(loadMnist({ dataset: 'custom' }))
    expect((custom as DatasetError).code).toBe('DATA_CUSTOM_NEEDS_DIR')
    expect(await rejection(loadMnist({ dataset: 'kmnist' as 'mnist' }))).toBeInstanceOf(OptionError)
    expect(await rejection(loadMnist({ mirror: 'ftp://x/' }))).toBeInstanceOf(OptionError)
    expect(await rejection(loadMnist({ retries: -1 }))).toBeInstanceOf(OptionError)
  })
})

describe('loadMnist from the cache', () => {
  it('re-verifies cached files: a mismatch is an error, never silent re-use', async () => {
    const cache = join(root, 'cache')
    writeToyDataset(join(cache, 'mnist'))
    const error = await rejection(loadMnist({ cacheDir: cache }))
    expect(error).toBeInstanceOf(ChecksumError)
    expect(error.message).toContain(join(cache, 'mnist'))
    expect(error.message).toContain('delete')
    const data = await loadMnist({ cacheDir: cache, verify: false })
    expect(data).toMatchObject({ source: 'cache', dir: join(cache, 'mnist'), verified: false })
  })

  it('MNIST_CACHE_DIR is used when no option is given', async () => {
    writeToyDataset(join(root, 'cache', 'fashion-mnist'))
    const data = await loadMnist({ dataset: 'fashion-mnist', verify: false })
    expect(data.dir).toBe(join(root, 'cache', 'fashion-mnist'))
  })
})
