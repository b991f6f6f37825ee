import fs from 'node:fs/promises'
import path from 'node:path'
import { selectBackend } from '@mnist/backends'
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest'
import { readCheckpoint } from '../../src/checkpoint'
import { RunDirError, TrainAbortedError } from '../../src/errors'
import type { TrainOptions } from '../../src/options'
import { createRunDir } from '../../src/run-dir'
import { train } from '../../src/node-train'
import { subset, tempDir, TINY_MODEL } from '../helpers'

// Exclusive run folders: runs started in the same second into one outDir never share (or overwrite) a folder, and an
// unusable outDir fails before any training.

beforeAll(async () => {
  await selectBackend('cpu')
})
afterEach(() => {
  vi.useRealTimers()
})

const when = new Date('2030-01-02T03:04:05.678Z')

describe('run folders', () => {
  it('a stop before the first step (during data loading) saves nothing and removes the run folder', async () => {
    const out = await tempDir('aborted')
    const options = { backend: 'cpu' as const, data: await subset(64, 32), outDir: out, config: { model: TINY_MODEL } }
    const error = await train({ ...options, signal: AbortSignal.abort() }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(TrainAbortedError)
    expect((error as TrainAbortedError).code).toBe('TRAIN_ABORTED_BEFORE_START')
    expect(await fs.readdir(out)).toEqual([])
  })

  it('gives 20 concurrent callers on the same second 20 different folders', async () => {
    const out = await tempDir('runs')
    const dirs = await Promise.all(Array.from({ length: 20 }, () => createRunDir(out, 'cpu', when)))
    expect(new Set(dirs).size).toBe(20)
    expect(dirs).toContain(path.join(out, '2030-01-02T03-04-05Z-cpu'))
    expect(dirs).toContain(path.join(out, '2030-01-02T03-04-05Z-cpu-20'))
    expect((await fs.readdir(out)).length).toBe(20)
  })

  it('four concurrent train() calls in the same second keep four models, each with its own seed', async () => {
    const out = await tempDir('same-second')
    vi.useFakeTimers({ toFake: ['Date'] })
    vi.setSystemTime(when)
    const data = await subset(64, 32)
    const run = (seed: number): Promise<{ modelDir?: string }> =>
      train({ backend: 'cpu', data, outDir: out, config: { model: TINY_MODEL, batchSize: 32, seed } })
    const results = await Promise.all([1, 2, 3, 4].map(run))
    const dirs = results.map((r) => r.modelDir!)
    expect(new Set(dirs).size).toBe(4)
    for (const [i, dir] of dirs.entries()) {
      expect(path.basename(dir)).toMatch(/^2030-01-02T03-04-05Z-cpu(-\d)?$/)
      expect((await readCheckpoint(dir)).state.config.seed).toBe(i + 1)
    }
  })

  it('an outDir that cannot hold folders fails before the data is loaded or a step runs, naming it', async () => {
    const parent = await tempDir('unwritable')
    const file = path.join(parent, 'a-file')
    await fs.writeFile(file, 'not a folder')
    const onStart = vi.fn()
    const onDataProgress = vi.fn()
    const error = await train({
      backend: 'cpu',
      outDir: path.join(file, 'models'),
      dataDir: path.join(parent, 'no-data-here'),
      onStart,
      onDataProgress,
    }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(RunDirError)
    expect((error as RunDirError).code).toBe('TRAIN_OUT_DIR_UNWRITABLE')
    expect((error as RunDirError).option).toBe('outDir')
    expect((error as Error).message).toContain(`option "outDir": ${path.join(file, 'models')}`)
    expect((error as Error).message).toMatch(/ENOTDIR|EEXIST/)
    expect(onStart).not.toHaveBeenCalled()
    expect(onDataProgress).not.toHaveBeenCalled()
  })

  it('removes the run folder of a run that failed before its first checkpoint', async () => {
    const out = await tempDir('failed')
    const data = await subset(64, 32)
    const bad = { ...data, train: { ...data.train, labels: data.train.labels.map((l, i) => (i === 5 ? 12 : l)) } }
    await expect(train({ backend: 'cpu', data: bad, outDir: out, config: { model: TINY_MODEL } })).rejects.toThrow(
      /option "data": train\.labels\[5\] is 12: expected a class index in \[0, 9\]/,
    )
    expect(await fs.readdir(out)).toEqual([])
  })
})

describe('in-memory data', () => {
  it('rejects labels out of range and images of another size before training, naming the split and index', async () => {
    const data = await subset(64, 32)
    const base: TrainOptions = { backend: 'cpu', save: false, config: { model: TINY_MODEL } }
    const testBad = { ...data, test: { ...data.test, labels: data.test.labels.map((l, i) => (i === 31 ? 200 : l)) } }
    const error = await train({ ...base, data: testBad }).catch((e: unknown) => e)
    expect((error as { code?: string }).code).toBe('TRAIN_BAD_DATA')
    expect((error as Error).message).toMatch(/test\.labels\[31\] is 200/)
    const small = {
      ...data,
      train: { ...data.train, rows: 14, cols: 14, images: data.train.images.subarray(0, 64 * 196) },
    }
    await expect(train({ ...base, data: small })).rejects.toThrow(/train images are 14x14; the model takes 28x28/)
  })
})
