import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { describe, expect, it } from 'vitest'
import { BACKEND_ORDER as NODE_ORDER } from './node/select'
import { BACKEND_ORDER, selectBackend } from './browser'

describe('the browser entry', () => {
  it('bundles for the browser without Node built-ins, tfjs-node or Dawn', async () => {
    const entry = fileURLToPath(new URL('./index.ts', import.meta.url))
    const result = await build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      metafile: true,
      logLevel: 'silent',
      // Packages a browser app brings itself; what matters is what this package's own code pulls in.
      external: ['@tensorflow/*', '@mnist/backend-simd'],
    })
    const imports = Object.values(result.metafile.inputs).flatMap((i) => i.imports.map((x) => x.path))
    expect(imports.filter((p) => /^node:|^(fs|path|module|url|child_process)$/.test(p))).toEqual([])
    expect(imports.filter((p) => /tfjs-node|^webgpu$/.test(p))).toEqual([])
    expect(Object.keys(result.metafile.inputs).filter((f) => /[\\/]node[\\/]/.test(f))).toEqual([])
  })

  it('lists the same backends in the same order as the Node entry', () => {
    expect(BACKEND_ORDER).toEqual(NODE_ORDER)
  })

  it('says a Node-only backend needs Node.js', async () => {
    await expect(selectBackend('node')).rejects.toMatchObject({
      code: 'BACKENDS_UNAVAILABLE',
      reason: expect.stringMatching(/needs Node\.js/),
    })
  })
})
