import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import * as browser from '../src/browser'
import * as node from '../src/index'
import { bundleForBrowser } from '../../../scripts/test-support/browser-bundle'

const entry = fileURLToPath(new URL('../src/browser.ts', import.meta.url))
const NODE_BUILTIN =
  /^(node:)?(fs|fs\/promises|path|module|crypto|zlib|child_process|os|url|stream|util|worker_threads)$/

describe('the browser entry', () => {
  it('bundles for the browser (esbuild, esm) with its dependencies and no Node built-in or Node entry', async () => {
    const { errors, inputs, imports, code } = await bundleForBrowser(entry)
    expect(errors).toEqual([])
    expect(imports.filter((p) => NODE_BUILTIN.test(p))).toEqual([])
    // The Node entries of the workspace packages, Node-only modules of this one, tfjs-node and Dawn stay out.
    const nodeOnly = /mnist-data[\\/]dist[\\/]index|mnist-backends[\\/]dist[\\/]node|mnist-eval[\\/]dist[\\/]index/
    const ownNodeOnly = /src[\\/](node-|checkpoint\.ts|checkpoint-(commit|read|state)|run-dir|versions|file-store)/
    expect(inputs.filter((f) => nodeOnly.test(f) || ownNodeOnly.test(f))).toEqual([])
    expect(inputs.filter((f) => /tfjs-node|[\\/]webgpu[\\/]|pngjs|pureimage/.test(f))).toEqual([])
    // No import of a Node built-in left for the browser to fail on (worker sources inside strings aside).
    expect(code).not.toMatch(/^\s*import\s[^;]*?from\s*["'](node:|fs|path|module|crypto|zlib|child_process)/m)
  })

  it('exports what the Node entry does, less what needs Node, with its own train()', () => {
    const nodeOnly = ['defaultOutDir', 'runtimeVersions', 'readCheckpoint', 'OPTIMIZER_FILE', 'TRAINING_STATE_FILE']
    const shared = Object.keys(node).filter((k) => !nodeOnly.includes(k))
    expect(Object.keys(browser).sort()).toEqual(shared.sort())
    for (const name of shared.filter((k) => k !== 'train')) {
      expect(browser[name as keyof typeof browser], name).toBe(node[name as keyof typeof node])
    }
    expect(browser.train).not.toBe(node.train)
  })
})
