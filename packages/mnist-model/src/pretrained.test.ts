import { describe, expect, it } from 'vitest'
import { DEFAULT_MODEL_CONFIG } from './config'
import { countParams } from './model'
import { loadPretrained } from './pretrained'

describe('loadPretrained', () => {
  // The weights in pretrained/ are a five-epoch run of `mnist train --epochs 5 --seed 2` (otherwise the defaults);
  // @mnist/eval's tests measure their accuracy on the real test set.
  it('loads the shipped weights: the default architecture, with its training metadata', async () => {
    const { model, metadata } = await loadPretrained()
    expect(countParams(model)).toBe(21_778)
    expect(metadata?.params).toBe(countParams(model))
    expect(metadata?.dataset).toBe('mnist')
    expect(metadata?.epochs).toBe(5)
    expect(metadata?.testAccuracy).toBeGreaterThanOrEqual(0.993)
    expect(metadata?.modelConfig.layers).toEqual(DEFAULT_MODEL_CONFIG.layers)
    expect(metadata?.normalization).toEqual({ mean: 0.1307, std: 0.3081 })
    model.dispose()
  })
})
