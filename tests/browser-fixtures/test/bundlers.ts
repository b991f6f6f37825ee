// Each bundler with its defaults, as a new user runs it: no plugin or setting for the wasm or the weights. The only
// settings are where the output goes, and (to keep the test quick on 2 cores) webpack's minifier off.
import commonjs from '@rollup/plugin-commonjs'
import { nodeResolve } from '@rollup/plugin-node-resolve'
import { build as esbuild } from 'esbuild'
import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { rollup } from 'rollup'
import { build as viteBuild, createServer, type Plugin, type ViteDevServer } from 'vite'
import webpack from 'webpack'

/** COOP/COEP on requests whose URL asks for them (`?coi=1`): one server serves both kinds of page. */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
}

const page = (title: string, script: string): string =>
  `<!doctype html>\n<html><head><meta charset="utf-8"><title>${title}</title></head><body>${script}</body></html>\n`

export async function buildVite(dir: string): Promise<void> {
  // base './': the output is served from a sub-folder (/out/vite/), like an app not at the root of its site.
  await viteBuild({ root: dir, base: './', logLevel: 'error', build: { outDir: join(dir, 'out/vite') } })
}

export async function buildWebpack(dir: string): Promise<void> {
  const compiler = webpack({
    mode: 'production',
    context: dir,
    entry: './src/main.js',
    output: { path: join(dir, 'out/webpack'), filename: 'main.js' },
    optimization: { minimize: false },
    performance: { hints: false },
  })
  const stats = await new Promise<webpack.Stats>((resolve, reject) => {
    compiler.run((err, s) => (err ? reject(err) : resolve(s!)))
  })
  await new Promise((r) => compiler.close(r))
  if (stats.hasErrors()) throw new Error(`webpack: ${stats.toString('errors-only')}`)
  writeFileSync(join(dir, 'out/webpack/index.html'), page('webpack', '<script src="./main.js"></script>'))
}

export async function buildEsbuild(dir: string): Promise<void> {
  const outdir = join(dir, 'out/esbuild')
  await esbuild({
    entryPoints: [join(dir, 'src/main.js')],
    bundle: true,
    format: 'esm',
    splitting: true,
    outdir,
    logLevel: 'error',
  })
  writeFileSync(join(outdir, 'index.html'), page('esbuild', '<script type="module" src="./main.js"></script>'))
}

/** A script-tag build: one classic script, no modules, no import.meta. */
export async function buildIife(dir: string): Promise<void> {
  const outdir = join(dir, 'out/iife')
  await esbuild({ entryPoints: [join(dir, 'src/main.js')], bundle: true, format: 'iife', outdir, logLevel: 'error' })
  writeFileSync(join(outdir, 'index.html'), page('iife', '<script src="./main.js"></script>'))
}

export async function buildRollup(dir: string): Promise<void> {
  const outdir = join(dir, 'out/rollup')
  // node-resolve and commonjs: what any Rollup app needs for npm packages (tfjs itself imports CommonJS modules).
  const bundle = await rollup({
    input: join(dir, 'src/main.js'),
    plugins: [nodeResolve({ browser: true }), commonjs()],
    onwarn: () => undefined,
  })
  await bundle.write({ dir: outdir, format: 'es' })
  await bundle.close()
  writeFileSync(join(outdir, 'index.html'), page('rollup', '<script type="module" src="./main.js"></script>'))
}

/**
 * No bundler: the installed packages served as they are, through an import map. tfjs-backend-cpu's ESM build imports
 * `seedrandom`, which is CommonJS: the page maps it to a stub (the random ops it serves are never called here).
 */
export function writeImportMapPage(dir: string): void {
  const nm = '/node_modules'
  const imports = {
    '@tensorflow/tfjs-core': `${nm}/@tensorflow/tfjs-core/dist/tf-core.fesm.js`,
    '@tensorflow/tfjs-layers': `${nm}/@tensorflow/tfjs-layers/dist/tf-layers.fesm.js`,
    '@tensorflow/tfjs-backend-cpu': `${nm}/@tensorflow/tfjs-backend-cpu/dist/tf-backend-cpu.fesm.js`,
    seedrandom: '/out/importmap/seedrandom-stub.js',
    '@mnist/model': `${nm}/@mnist/model/dist/index.js`,
    '@mnist/data/stats': `${nm}/@mnist/data/dist/stats.js`,
    '@mnist/backend-simd': `${nm}/@mnist/backend-simd/dist/index.js`,
  }
  const outdir = join(dir, 'out/importmap')
  mkdirSync(outdir, { recursive: true })
  writeFileSync(
    join(outdir, 'seedrandom-stub.js'),
    "export function alea() { throw new Error('seedrandom stub: not available in the import-map fixture') }\n",
  )
  const map = `<script type="importmap">${JSON.stringify({ imports })}</script>`
  writeFileSync(
    join(outdir, 'index.html'),
    page('import map', `${map}<script type="module" src="/src/main.js"></script>`),
  )
}

/** Vite's dev server on the consumer project, with COOP/COEP for `?coi=1` pages. */
export async function startViteDev(dir: string): Promise<ViteDevServer> {
  const isolation: Plugin = {
    name: 'fixture-isolation',
    configureServer(server) {
      server.middlewares.use((req, res, next) => {
        if (req.url?.includes('coi=1')) for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v)
        next()
      })
    },
  }
  const server = await createServer({
    root: dir,
    logLevel: 'error',
    plugins: [isolation],
    server: { host: '127.0.0.1', port: 0, strictPort: false },
  })
  await server.listen()
  return server
}
