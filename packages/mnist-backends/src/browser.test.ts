import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { BACKEND_ORDER as NODE_ORDER } from './node/select'
import { BACKEND_ORDER, selectBackend } from './browser'
import { bundleForBrowser } from '../../../scripts/test-support/browser-bundle'

describe('the browser entry', () => {
  it('bundles for the browser without Node built-ins, tfjs-node or Dawn', async () => {
    const entry = fileURLToPath(new URL('./index.ts', import.meta.url))
    // Packages a browser app brings itself; what matters is what this package's own code pulls in.
    const { imports, inputs } = await bundleForBrowser(entry, { external: ['@tensorflow/*', '@mnist/backend-simd'] })
    expect(imports.filter((p) => /^node:|^(fs|path|module|url|child_process)$/.test(p))).toEqual([])
    expect(imports.filter((p) => /tfjs-node|^webgpu$/.test(p))).toEqual([])
    expect(inputs.filter((f) => /[\\/]node[\\/]/.test(f))).toEqual([])
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
