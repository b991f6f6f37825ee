import fs from 'node:fs/promises'
import path from 'node:path'
import { selectBackend } from '@mnist/backends'
import type { MnistSplit } from '@mnist/data'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { readCheckpoint } from '../src/checkpoint'
import { CheckpointError, InvalidTrainConfigError } from '../src/errors'
import { MemoryCheckpointStore } from '../src/memory-store'
import type { TrainStartInfo } from '../src/options'
import { train } from '../src/node-train'
import { realMnist, tempDir, TINY_MODEL } from './helpers'

// `validation`: the last N training images are evaluated instead of the test set; `preset` feeds train().
let out: string
let trainSplit: MnistSplit
// A test split any use of which fails (a label out of range): a validation run must not touch it.
const poisonedTest = (): MnistSplit => ({ ...trainSplit, count: 4, labels: new Uint8Array([0, 1, 2, 200]) })

beforeAll(async () => {
  await selectBackend('cpu')
  const { train: t } = await realMnist()
  const n = 160
  trainSplit = { ...t, images: t.images.subarray(0, n * 784), labels: t.labels.subarray(0, n), count: n }
  out = await tempDir('validation')
})
afterAll(() => fs.rm(out, { recursive: true, force: true }))

describe('train({ validation })', () => {
  it('trains on the images before the last N, evaluates on those N, and never reads the test set', async () => {
    let info: TrainStartInfo | undefined
    const result = await train({
      backend: 'cpu',
      data: { train: trainSplit, test: poisonedTest() },
      validation: 64,
      outDir: out,
      preset: 'best',
      config: { model: TINY_MODEL, batchSize: 32, epochs: 1, seed: 3 },
      onStart: (i) => (info = i),
    })
    expect(info).toMatchObject({ trainImages: 96, testImages: 64, evaluation: 'validation', batchesPerEpoch: 3 })
    expect(result.config.augment).toBe(true) // from the preset; its epochs were overridden
    const { state } = await readCheckpoint(result.checkpointDir!)
    expect(state.validation).toBe(64)
    const metadata = JSON.parse(await fs.readFile(path.join(result.modelDir!, 'metadata.json'), 'utf8'))
    // Held-out training images are not the test set: no testAccuracy, the validation numbers are in extra.
    expect(metadata.testAccuracy).toBeUndefined()
    expect(metadata.extra).toMatchObject({ preset: 'best', validationImages: 64 })
    expect(metadata.extra.validationAccuracy).toBe(result.testAccuracy)
  })

  it('refuses a validation count that leaves nothing to train on', async () => {
    const run = train({
      backend: 'cpu',
      data: { train: trainSplit, test: poisonedTest() },
      validation: 160,
      save: false,
      config: { model: TINY_MODEL, epochs: 1 },
    })
    await expect(run).rejects.toThrow(InvalidTrainConfigError)
    await expect(run).rejects.toMatchObject({ option: 'validation' })
  })

  it('on resume: a preset the checkpoint did not use names `preset`; too few images name the split’s counts', async () => {
    const store = new MemoryCheckpointStore()
    const controller = new AbortController()
    const first = await train({
      backend: 'cpu',
      data: { train: trainSplit, test: poisonedTest() },
      validation: 64,
      checkpoints: store,
      signal: controller.signal,
      onProgress: (p) => p.step === 1 && controller.abort(),
      config: { model: TINY_MODEL, batchSize: 32, epochs: 1, seed: 3 },
    })
    expect(first.interrupted).toBe(true)

    const resume = { backend: 'cpu' as const, resume: store, save: false }
    const data = { train: trainSplit, test: poisonedTest() }
    const withPreset = train({ ...resume, data, preset: 'best' })
    await expect(withPreset).rejects.toThrow(InvalidTrainConfigError)
    await expect(withPreset).rejects.toMatchObject({ option: 'preset', found: 'best' })
    await expect(withPreset).rejects.toThrow(/its epochs is 1, the preset's 30/)

    // 120 images: 56 to train on (the last 64 are held out), fewer than the 96 the checkpoint trained on.
    const fewer = { ...trainSplit, count: 120, labels: trainSplit.labels.subarray(0, 120) }
    const short = train({ ...resume, data: { train: fewer, test: poisonedTest() } })
    await expect(short).rejects.toThrow(CheckpointError)
    await expect(short).rejects.toThrow(
      'trained on 96 images and evaluated 64 validation images; this dataset has 56 training / 64 validation images',
    )
  })
})
