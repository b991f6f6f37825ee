import { execFileSync } from 'node:child_process'
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest'
import { DatasetError, IdxFormatError, MnistDataError } from '../../src/errors'
import { encodeIdx } from '../../src/idx'
import { loadMnist } from '../../src/load'
import { writeToyDataset } from '../fixtures'
import { NAMES } from '../server'
import { bundleSource, gzipBomb, startChild } from './child'

// Hostile local files: every case must fail within seconds with a typed error naming the file, and the bombs must
// stay under 600 MB of peak RSS (measured in a child process, so the test runner's own memory does not count).
const MAX_RSS_MB = 600
const GiB = 2 ** 30
let root: string
let bundle: string
let cleanup: () => void

beforeAll(async () => ({ bundle, cleanup } = await bundleSource()))
afterAll(() => cleanup())
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'mnist-fault-'))
  vi.stubEnv('MNIST_DATA_DIR', '')
  vi.stubEnv('MNIST_MIRROR', 'http://127.0.0.1:9/')
  vi.stubEnv('MNIST_CACHE_DIR', join(root, 'cache'))
})
afterEach(() => {
  vi.unstubAllEnvs()
  rmSync(root, { recursive: true, force: true })
})

async function failure(p: Promise<unknown>): Promise<MnistDataError> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(MnistDataError)
  return error as MnistDataError
}

/** A real-shaped toy folder whose `name` is replaced by `bytes`. */
function folderWith(name: string, bytes: Uint8Array | undefined, gz = true): string {
  const dir = join(root, 'data')
  writeToyDataset(dir, { count: 12 }, { count: 5 })
  const path = join(dir, gz ? `${name}.gz` : name)
  rmSync(path, { force: true })
  if (bytes) writeFileSync(path, bytes)
  return dir
}

describe('decompression bombs in a data folder', () => {
  it('2 GiB of zeros behind a valid MNIST header, under all four names: stops at the published size', async () => {
    const dir = join(root, 'bombs')
    mkdirSync(dir)
    const bomb = gzipBomb([60000, 28, 28], 2 * GiB)
    expect(bomb.length).toBeLessThan(10 * 2 ** 20)
    for (const name of NAMES) writeFileSync(join(dir, `${name}.gz`), bomb)
    const r = await startChild(bundle, { dataDir: dir }).result
    expect(r.ok).toBe(false)
    // The labels files declare 47 MB where 60 008 / 10 008 bytes are published: refused from the header.
    expect(['DATA_IDX_TRAILING_BYTES', 'DATA_IDX_TOO_LARGE']).toContain(r.code)
    expect(r.message).toMatch(new RegExp(`${dir}/(train|t10k)-(images|labels)-idx[13]-ubyte\\.gz: `))
    expect(r.maxRssMb).toBeLessThan(MAX_RSS_MB)
    expect(r.ms).toBeLessThan(10_000)
  })

  it('custom and verify: false: bounded by the header, then by maxBytes', async () => {
    const dir = join(root, 'custom-bomb')
    writeToyDataset(dir, { count: 12 }, { count: 5 })
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipBomb([60000, 28, 28], 2 * GiB))
    const r = await startChild(bundle, { dataset: 'custom', dataDir: dir }).result
    expect(r.code).toBe('DATA_IDX_TRAILING_BYTES')
    expect(r.message).toContain(`${dir}/train-images-idx3-ubyte.gz: trailing bytes: expected 47040000 bytes`)
    expect(r.maxRssMb).toBeLessThan(MAX_RSS_MB)

    // A header declaring 2 GiB of images: refused before a byte of data is inflated.
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipBomb([2739146, 28, 28], 2 * GiB))
    const huge = await startChild(bundle, { dataset: 'mnist', verify: false, dataDir: dir }).result
    expect(huge.code).toBe('DATA_IDX_TOO_LARGE')
    expect(huge.message).toContain(
      `${dir}/train-images-idx3-ubyte.gz: too large: the header declares [2739146, 28, 28]`,
    )
    expect(huge.message).toContain('maxBytes')
    expect(huge.maxRssMb).toBeLessThan(MAX_RSS_MB)
    expect(huge.ms).toBeLessThan(5_000)
  })

  it('the budget is shared: four files of 150 MB each do not all fit in the default 384 MiB', async () => {
    const dir = folderWith('t10k-images-idx3-ubyte', gzipBomb([190_000, 28, 28], 149 * 2 ** 20))
    writeFileSync(join(dir, 'train-images-idx3-ubyte.gz'), gzipBomb([190_000, 28, 28], 149 * 2 ** 20))
    writeFileSync(join(dir, 'train-labels-idx1-ubyte.gz'), gzipBomb([150_000_000], 144 * 2 ** 20))
    const r = await startChild(bundle, { dataset: 'custom', dataDir: dir }).result
    expect(r.code).toBe('DATA_IDX_TOO_LARGE')
    expect(r.message).toMatch(/expected at most 402653184 bytes for all four files together \(maxBytes\)/)
    expect(r.maxRssMb).toBeLessThan(MAX_RSS_MB)
  })

  it('a 2 GiB raw (sparse) file is refused from its size alone', async () => {
    const dir = folderWith('train-images-idx3-ubyte', undefined)
    const path = join(dir, 'train-images-idx3-ubyte')
    closeSync(openSync(path, 'w'))
    execFileSync('truncate', ['-s', '2G', path])
    const started = Date.now()
    const error = await failure(loadMnist({ dataDir: dir }))
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(error).toBeInstanceOf(IdxFormatError)
    expect(error.code).toBe('DATA_IDX_TOO_LARGE')
    expect(error.message).toContain(`${path}: too large: expected at most`)
    expect(error.message).toContain('the published mnist train-images-idx3-ubyte')
  })
})

describe('files that are not files', () => {
  it('a symlink to /dev/zero and a FIFO are refused before reading, naming the file', async () => {
    const dir = folderWith('train-images-idx3-ubyte', undefined)
    const link = join(dir, 'train-images-idx3-ubyte')
    symlinkSync('/dev/zero', link)
    const zero = await failure(loadMnist({ dataDir: dir }))
    expect(zero).toBeInstanceOf(DatasetError)
    expect(zero.code).toBe('DATA_NOT_A_FILE')
    expect(zero.message).toContain(`${link}: expected a regular file, got a character device`)

    rmSync(link)
    execFileSync('mkfifo', [link])
    const started = Date.now()
    const fifo = await failure(loadMnist({ dataDir: dir }))
    expect(Date.now() - started).toBeLessThan(2_000)
    expect(fifo.code).toBe('DATA_NOT_A_FILE')
    expect(fifo.message).toContain(`${link}: expected a regular file, got a FIFO`)
  })

  it('an empty file says "empty file", in a data folder and in the cache (not a checksum mismatch)', async () => {
    const dir = folderWith('t10k-labels-idx1-ubyte', new Uint8Array(0))
    const error = await failure(loadMnist({ dataDir: dir }))
    expect(error.code).toBe('DATA_IDX_EMPTY')
    expect(error.message).toContain(`${join(dir, 't10k-labels-idx1-ubyte.gz')}: empty file`)

    // A gzip stream of nothing, in the cache.
    const cache = join(root, 'cache', 'mnist')
    mkdirSync(cache, { recursive: true })
    for (const name of NAMES) writeFileSync(join(cache, `${name}.gz`), gzipSync(new Uint8Array(0)))
    const cached = await failure(loadMnist())
    expect(cached.code).toBe('DATA_IDX_EMPTY')
    expect(cached.message).toMatch(
      /mnist\/(train|t10k)-(images|labels)-idx[13]-ubyte\.gz: empty file: expected an IDX file, the gzip/,
    )
  })
})

describe('custom datasets the models cannot train on', () => {
  it('a label of 200 is rejected at load, naming the file and the index', async () => {
    const dir = join(root, 'labels')
    writeToyDataset(dir, { count: 20, label: (i) => (i === 13 ? 200 : i % 10) }, { count: 5 })
    const error = await failure(loadMnist({ dataset: 'custom', dataDir: dir }))
    expect(error.code).toBe('DATA_LABEL_OUT_OF_RANGE')
    expect(error.message).toContain(
      `${join(dir, 'train-labels-idx1-ubyte.gz')}: label out of range: expected 0..9 for custom, got 200 at index 13`,
    )
  })

  it('14x14 images are rejected at load with the size the models need', async () => {
    const dir = join(root, 'small')
    writeToyDataset(dir, { count: 8, rows: 14, cols: 14 }, { count: 4, rows: 14, cols: 14 })
    const error = await failure(loadMnist({ dataset: 'custom', dataDir: dir }))
    expect(error.code).toBe('DATA_BAD_SHAPE')
    expect(error.message).toContain(
      `${join(dir, 'train-images-idx3-ubyte.gz')}: expected 28x28 images (the models take 28x28x1), got 14x14`,
    )
    expect((await loadMnist({ dataset: 'custom', dataDir: dir, imageSize: 'any' })).train.rows).toBe(14)
  })

  it('absurd dimensions are refused from the header', async () => {
    const dir = folderWith('train-images-idx3-ubyte', undefined, false)
    const header = encodeIdx({ dtype: 'uint8', shape: [1], data: new Uint8Array(1) })
    const lie = new Uint8Array(16)
    lie.set(header.subarray(0, 4))
    lie[3] = 3
    new DataView(lie.buffer).setUint32(4, 0xffffffff)
    new DataView(lie.buffer).setUint32(8, 0xffffffff)
    new DataView(lie.buffer).setUint32(12, 28)
    writeFileSync(join(dir, 'train-images-idx3-ubyte'), lie)
    rmSync(join(dir, 'train-images-idx3-ubyte.gz'), { force: true })
    const error = await failure(loadMnist({ dataset: 'custom', dataDir: dir }))
    expect(error.code).toBe('DATA_IDX_DIM_OVERFLOW')
    expect(error.message).toContain(join(dir, 'train-images-idx3-ubyte'))
  })
})
