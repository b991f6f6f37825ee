import { build } from 'esbuild'
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const entry = fileURLToPath(new URL('../src/index.ts', import.meta.url))

describe('browser build', () => {
  it('bundles for the browser without any Node built-in (node:fs is only imported lazily, by a variable)', async () => {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
      external: ['@tensorflow/*'],
    })
    expect(result.errors).toEqual([])
    const imports = Object.values(result.metafile.inputs).flatMap((i) => i.imports.map((im) => im.path))
    // Besides its own sources and tfjs, only @mnist/data's browser-safe `stats` entry (and the chunk it shares).
    const data = /(^|\/)mnist-data\/dist\/(stats|chunk-[\w-]+)\.js$/
    const others = imports.filter(
      (p) => !p.startsWith('@tensorflow/') && !p.startsWith('src/') && !p.endsWith('package.json'),
    )
    expect(others.filter((p) => !data.test(p))).toEqual([])
    expect(others.some((p) => p.endsWith('mnist-data/dist/stats.js'))).toBe(true)
    const code = result.outputFiles[0]!.text
    expect(code).not.toMatch(/from\s*["'](node:)?(fs|path|url)(\/promises)?["']/)
    expect(code).not.toMatch(/require\(["'](node:)?fs/)
  })
})

describe('browser build, the embedded weights', () => {
  it('are a chunk of their own: loaded by loadPretrained() when called, never part of the main bundle', async () => {
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      splitting: true,
      outdir: '/virtual-out',
      platform: 'browser',
      format: 'esm',
      write: false,
      logLevel: 'silent',
      external: ['@tensorflow/*'],
    })
    const weightsStart = readFileSync(fileURLToPath(new URL('../pretrained/weights.bin', import.meta.url)))
      .subarray(0, 300)
      .toString('base64')
    const main = result.outputFiles.find((f) => f.path.endsWith('/index.js'))!
    const withWeights = result.outputFiles.filter((f) => f.text.includes(weightsStart))
    expect(main.text).not.toContain(weightsStart)
    expect(withWeights).toHaveLength(1)
    expect(main.text).toContain(withWeights[0]!.path.split('/').pop())
  })
})
