import type { TrainOptions, TrainResult, TrainStartInfo } from '@mnist/train'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { runMain } from '../src/main'

// `mnist train` labels its result with the split train() reports it evaluates on, not with the --validation flag:
// a resumed validation run keeps evaluating on held-out training images even when the flag is not repeated.

vi.mock('@mnist/train', async (importOriginal) => {
  const actual = await importOriginal<typeof import('@mnist/train')>()
  return { ...actual, train: vi.fn() }
})

const { train, DEFAULT_TRAIN_CONFIG } = await import('@mnist/train')

const info = (evaluation: TrainStartInfo['evaluation']): TrainStartInfo => ({
  backend: 'cpu',
  device: 'CPU',
  stepEngine: 'tfjs',
  stepEngineReason: undefined,
  skipped: [],
  params: 1000,
  budget: 25_000,
  config: DEFAULT_TRAIN_CONFIG,
  dataset: 'mnist',
  dataSource: 'dataDir',
  trainImages: 256,
  testImages: 300,
  evaluation,
  batchesPerEpoch: 8,
  totalSteps: 8,
  runDir: undefined,
  position: { epoch: 0, batch: 4, step: 4 },
  resumedFrom: '/runs/validation-run',
  warnings: [],
})

const result = {
  interrupted: false,
  testAccuracy: 0.5,
  trainAccuracy: 0.6,
  trainLoss: 1.2,
  params: 1000,
  epochs: 1,
  backend: 'cpu',
  seconds: 1,
  trainSeconds: 1,
  imagesPerSecond: 256,
} as unknown as TrainResult

async function runTrain(evaluation: TrainStartInfo['evaluation'], args: string[]): Promise<Record<string, unknown>> {
  vi.mocked(train).mockImplementation(async (options?: TrainOptions) => {
    options?.onStart?.(info(evaluation))
    return result
  })
  const stdout: string[] = []
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => (stdout.push(String(chunk)), true))
  vi.spyOn(process.stderr, 'write').mockImplementation(() => true)
  await runMain(['node', 'mnist', 'train', ...args, '--json'])
  const lines = stdout.join('').trim().split('\n')
  return JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>
}

afterEach(() => {
  vi.restoreAllMocks()
  process.exitCode = undefined
})

describe('mnist train --json result', () => {
  it('is a validation accuracy when the resumed run evaluates on validation images, without --validation', async () => {
    const json = await runTrain('validation', ['--resume', '/runs/validation-run'])
    expect(json).toMatchObject({ validationAccuracy: 0.5 })
    expect(json).not.toHaveProperty('testAccuracy')
  })

  it('is a test accuracy when train() evaluates on the test set', async () => {
    const json = await runTrain('test', ['--resume', '/runs/test-run'])
    expect(json).toMatchObject({ testAccuracy: 0.5 })
    expect(json).not.toHaveProperty('validationAccuracy')
  })
})
