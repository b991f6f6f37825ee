import { existsSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { PretrainedUnavailableError } from './errors.js'
import { countParams } from './model.js'
import { loadPretrained } from './pretrained.js'
import { VERSION } from './version.js'

describe('loadPretrained', () => {
  // One test for both states of the package, so it never silently skips.
  it('loads the shipped weights, or throws a typed PretrainedUnavailableError while none ship', async () => {
    const shipped = existsSync(fileURLToPath(new URL('../pretrained/model.json', import.meta.url)))
    const result = await loadPretrained().then(
      (loaded) => ({ loaded, err: undefined }),
      (err: unknown) => ({ loaded: undefined, err }),
    )
    if (shipped) {
      expect(result.err).toBeUndefined()
      const { model, metadata } = result.loaded!
      expect(countParams(model)).toBeLessThan(25_000)
      expect(metadata?.params).toBe(countParams(model))
      model.dispose()
    } else {
      const err = result.err
      expect(err).toBeInstanceOf(PretrainedUnavailableError)
      expect((err as PretrainedUnavailableError).code).toBe('PRETRAINED_UNAVAILABLE')
      expect((err as Error).message).toContain(`no pretrained weights ship with @mnist/model ${VERSION} yet`)
      expect((err as Error).message).toContain('mnist train')
    }
  })
})
