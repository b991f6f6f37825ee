import { describe, expect, it } from 'vitest'
import { resolveTrainConfig } from './config'
import { InvalidTrainConfigError } from './errors'

describe('the activation-memory check of batch sizes', () => {
  it('refuses an absurd batch size at once, naming the option and the largest that fits', () => {
    const started = performance.now()
    let error: unknown
    try {
      resolveTrainConfig({ batchSize: 65_536 })
    } catch (e) {
      error = e
    }
    expect(error).toBeInstanceOf(InvalidTrainConfigError)
    expect((error as InvalidTrainConfigError).option).toBe('batchSize')
    expect((error as Error).message).toMatch(/option "batchSize": expected at most \d+ images for this network/)
    expect(performance.now() - started).toBeLessThan(1000)
  })

  it('accepts the batch sizes people use, and scales the limit with the network', () => {
    expect(resolveTrainConfig({ batchSize: 1024 }).batchSize).toBe(1024)
    expect(resolveTrainConfig({}).evalBatchSize).toBe(1000)
    const tiny = {
      layers: [
        { type: 'conv' as const, filters: 2, kernelSize: 3, padding: 'same' as const },
        { type: 'flatten' as const },
      ],
    }
    expect(resolveTrainConfig({ batchSize: 16_384, model: tiny }).batchSize).toBe(16_384)
    expect(() => resolveTrainConfig({ evalBatchSize: 65_536 })).toThrow(/option "evalBatchSize"/)
  })
})
