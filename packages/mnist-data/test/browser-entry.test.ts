import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import * as browser from '../src/browser'
import * as main from '../src/index'
import { bundleForBrowser } from '../../../scripts/test-support/browser-bundle'

const pkgDir = fileURLToPath(new URL('..', import.meta.url))
/** The Node-only modules: none may end up in a browser bundle. */
const NODE_ONLY = ['cache', 'download', 'idx', 'idx-stream', 'load', 'load-options', 'read-file']

/** A project folder with @mnist/data installed (a link to this package), as a consumer has it. */
const project = mkdtempSync(join(tmpdir(), 'mnist-data-consumer-'))
mkdirSync(join(project, 'node_modules', '@mnist'), { recursive: true })
symlinkSync(pkgDir, join(project, 'node_modules', '@mnist', 'data'), 'dir')
afterAll(() => rmSync(project, { recursive: true, force: true }))

describe('browser entry', () => {
  it('bundles for the browser from its sources without any Node built-in or Node-only module', async () => {
    const bundle = await bundleForBrowser(join(pkgDir, 'src', 'browser.ts'))
    expect(bundle.errors).toEqual([])
    const inputs = bundle.inputs.map((p) => p.replace(/^.*\/src\//, 'src/'))
    expect(inputs.every((p) => p.startsWith('src/'))).toBe(true)
    expect(inputs.filter((p) => NODE_ONLY.includes(p.slice(4, -3)))).toEqual([])
    expect(bundle.code).not.toMatch(/node:|require\(/)
  })

  it('exports the main entry functions themselves, with loadMnist being fetchMnist', () => {
    expect(browser.loadMnist).toBe(main.fetchMnist)
    for (const [name, value] of Object.entries(browser)) {
      if (name !== 'loadMnist') expect(main[name as keyof typeof main], name).toBe(value)
    }
    for (const nodeOnly of ['parseIdx', 'gunzipBytes', 'defaultCacheDir']) expect(browser).not.toHaveProperty(nodeOnly)
  })

  it('is what a bundler resolves `@mnist/data` to (browser conditions), while Node resolves the Node build', async () => {
    expect(existsSync(join(pkgDir, 'dist', 'browser.js')), 'dist/browser.js: run `pnpm build` first').toBe(true)
    const bundle = await bundleForBrowser({
      contents: "export { loadMnist, readIdx } from '@mnist/data'",
      resolveDir: project,
    })
    expect(bundle.errors).toEqual([])
    const inputs = bundle.inputs
    expect(inputs.some((p) => p.endsWith('dist/browser.js'))).toBe(true)
    expect(inputs.filter((p) => /dist\/index\.js$/.test(p))).toEqual([])
    expect(bundle.code).not.toMatch(/node:|require\(|from\s*["'](fs|path|zlib|crypto)/)

    const script =
      "const m = await import('@mnist/data'); " +
      "console.log(import.meta.resolve('@mnist/data'), typeof m.parseIdx, m.loadMnist === m.fetchMnist)"
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
      cwd: project,
      encoding: 'utf8',
    })
    expect(out.trim()).toMatch(/\/dist\/index\.js function false$/)
    expect(createRequire(join(project, 'x.js')).resolve('@mnist/data')).toMatch(/dist\/index\.cjs$/)
  })
})
