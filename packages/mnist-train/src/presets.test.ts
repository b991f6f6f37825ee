import { describe, expect, it } from 'vitest'
import { DEFAULT_TRAIN_CONFIG, resolveTrainConfig } from './config'
import { InvalidTrainConfigError } from './errors'
import { presetConfig, TRAIN_PRESETS } from './presets'

describe('TRAIN_PRESETS', () => {
  it('default is exactly DEFAULT_TRAIN_CONFIG (the one-epoch recipe is unchanged)', () => {
    expect(resolveTrainConfig(presetConfig('default'))).toEqual(DEFAULT_TRAIN_CONFIG)
    expect(resolveTrainConfig(presetConfig(undefined))).toEqual(DEFAULT_TRAIN_CONFIG)
  })

  it('best is a valid multi-epoch recipe with augmentation, under the parameter budget', () => {
    const best = resolveTrainConfig(presetConfig('best'))
    expect(best.epochs).toBeGreaterThan(1)
    expect(best.augment).toBe(true)
    expect(TRAIN_PRESETS.best.description).toMatch(/epochs/)
    expect(Object.isFrozen(TRAIN_PRESETS.best.config)).toBe(true)
  })

  it("the caller's settings override the preset's, field by field", () => {
    const c = resolveTrainConfig(presetConfig('best', { epochs: 2, augmentation: { degrees: 3 } }))
    expect(c.epochs).toBe(2)
    expect(c.augment).toBe(true)
    expect(c.augmentation).toEqual({ ...resolveTrainConfig(presetConfig('best')).augmentation, degrees: 3 })
  })

  it('an unknown preset is an InvalidTrainConfigError naming the option', () => {
    const error = (() => {
      try {
        presetConfig('fastest')
      } catch (e) {
        return e
      }
    })()
    expect(error).toBeInstanceOf(InvalidTrainConfigError)
    expect(error).toMatchObject({ option: 'preset', code: 'TRAIN_INVALID_CONFIG' })
    expect(() => presetConfig('toString')).toThrow(InvalidTrainConfigError)
  })
})
