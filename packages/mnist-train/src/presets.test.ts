import { checkModelConfig } from '@mnist/model'
import { readFileSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { DEFAULT_AUGMENTATION } from './augment'
import { DEFAULT_TRAIN_CONFIG, resolveTrainConfig } from './config'
import { InvalidTrainConfigError } from './errors'
import { presetConfig, TRAIN_PRESETS } from './presets'

describe('TRAIN_PRESETS', () => {
  it('default is exactly DEFAULT_TRAIN_CONFIG (the one-epoch recipe is unchanged)', () => {
    expect(resolveTrainConfig(presetConfig('default'))).toEqual(DEFAULT_TRAIN_CONFIG)
    expect(resolveTrainConfig(presetConfig(undefined))).toEqual(DEFAULT_TRAIN_CONFIG)
  })

  it('best is the chosen recipe: model C, 30 epochs, augmentation with pixel noise, under the parameter budget', () => {
    const best = resolveTrainConfig(presetConfig('best'))
    expect(best.epochs).toBe(30)
    expect(best.augment).toBe(true)
    expect(best.augmentation).toEqual({ ...DEFAULT_AUGMENTATION, noise: 0.5 })
    // the same network as the example file users pass to `--arch`
    const file = JSON.parse(
      readFileSync(new URL('../../../examples/architectures/model-c.json', import.meta.url), 'utf8'),
    )
    expect(best.model.layers).toEqual(checkModelConfig(file).config.layers)
    expect(checkModelConfig(best.model).params).toBe(22_098)
    expect(TRAIN_PRESETS.best.description).toMatch(/30 epochs/)
    expect(Object.isFrozen(TRAIN_PRESETS.best.config)).toBe(true)
    expect(Object.isFrozen(TRAIN_PRESETS.best.config.model!.layers)).toBe(true)
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
