import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import * as main from '../src/index'
import * as stats from '../src/stats'
import { bundleForBrowser } from '../../../scripts/test-support/browser-bundle'

describe('@mnist/data/stats', () => {
  it('bundles for the browser without any Node built-in or dependency', async () => {
    const bundle = await bundleForBrowser(fileURLToPath(new URL('../src/stats.ts', import.meta.url)))
    expect(bundle.errors).toEqual([])
    const inputs = bundle.inputs.map((p) => p.replace(/^.*\/src\//, 'src/'))
    const expected = [
      'src/batches.ts',
      'src/datasets.ts',
      'src/errors.ts',
      'src/normalization.ts',
      'src/random.ts',
      'src/stats.ts',
    ]
    expect(inputs.sort()).toEqual(expected)
    expect(bundle.code).not.toMatch(/node:|require\(/)
  })

  it('is a subset of the main entry: the same functions, not copies', () => {
    for (const [name, value] of Object.entries(stats)) expect(main[name as keyof typeof main], name).toBe(value)
  })
})
