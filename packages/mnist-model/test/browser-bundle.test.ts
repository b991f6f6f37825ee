import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { bundleForBrowser } from '../../../scripts/test-support/browser-bundle'

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url))

describe('browser build', () => {
  it('bundles for the browser without any Node built-in (node:fs is only imported lazily, by a variable)', async () => {
    const { errors, imports, code } = await bundleForBrowser(entry, { external: ['@tensorflow/*'] })
    expect(errors).toEqual([])
    // Besides its own sources and tfjs, only @mnist/data's browser-safe `stats` entry (and the chunk it shares).
    const data = /(^|\/)mnist-data\/dist\/(stats|chunk-[\w-]+)\.js$/
    const others = imports.filter(
      (p) => !p.startsWith('@tensorflow/') && !p.startsWith('src/') && !p.endsWith('package.json'),
    )
    expect(others.filter((p) => !data.test(p))).toEqual([])
    expect(others.some((p) => p.endsWith('mnist-data/dist/stats.js'))).toBe(true)
    expect(code).not.toMatch(/from\s*["'](node:)?(fs|path|url)(\/promises)?["']/)
    expect(code).not.toMatch(/require\(["'](node:)?fs/)
  })
})

describe('browser build, the embedded weights', () => {
  it('are a chunk of their own: loaded by loadPretrained() when called, never part of the main bundle', async () => {
    const { outputs } = await bundleForBrowser(entry, {
      splitting: true,
      outdir: '/virtual-out',
      external: ['@tensorflow/*'],
    })
    const weightsStart = readFileSync(fileURLToPath(new URL('../pretrained/weights.bin', import.meta.url)))
      .subarray(0, 300)
      .toString('base64')
    const main = outputs.find((f) => f.path.endsWith('/index.js'))!
    const withWeights = outputs.filter((f) => f.text.includes(weightsStart))
    expect(main.text).not.toContain(weightsStart)
    expect(withWeights).toHaveLength(1)
    expect(main.text).toContain(withWeights[0]!.path.split('/').pop())
  })
})
