import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import * as browser from '../src/browser'
import * as full from '../src/index'
import { bundleForBrowser } from '../../../scripts/test-support/browser-bundle'

const entry = fileURLToPath(new URL('../src/browser.ts', import.meta.url))

describe('the browser entry', () => {
  it('bundles for the browser without Node built-ins, pngjs or pureimage', async () => {
    const { errors, imports } = await bundleForBrowser(entry, { external: ['@tensorflow/*'] })
    expect(errors).toEqual([])
    expect(imports.filter((p) => /^node:|^(fs|path|url|zlib|stream|crypto)$|pngjs|pureimage/.test(p))).toEqual([])
  })

  it('exports what the full entry does, less the report, PNG and picture writers', () => {
    const nodeOnly = /report|render|png|PNG_|MAX_PIXELS|Image(Decode|TooLarge)Error|ReportWriteError/i
    const expected = Object.keys(full).filter((k) => !nodeOnly.test(k))
    expect(Object.keys(browser).sort()).toEqual(expected.sort())
    expect(browser.evaluate).toBe(full.evaluate)
  })
})
