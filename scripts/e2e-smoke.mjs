// Short end-to-end run of the built CLI on the Node that runs this script (what .ci/run does on every tested Node):
// train a few hundred steps on real MNIST, evaluate the saved model, classify ten test digits written as PNG files,
// with the trained model and with --pretrained. Exits 1 with a reason when any result is off.
//   MNIST_DATA_DIR=../shared/mnist node scripts/e2e-smoke.mjs        (after `pnpm build`)
// env: E2E_LIMIT (training images, default 6400 = 200 steps of 32), MNIST_BACKEND (default auto)
import { spawnSync } from 'node:child_process'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const bin = join(root, 'apps/cli/dist/bin.js')
// Through the CLI's own dependencies: the repository root has no workspace packages in node_modules.
const cliRequire = createRequire(join(root, 'apps/cli/package.json'))
const { loadMnist } = cliRequire('@mnist/data')
const { encodePng } = cliRequire('@mnist/eval')

const limit = Number(process.env.E2E_LIMIT ?? 6400)
const dataDir = process.env.MNIST_DATA_DIR
if (!dataDir) {
  console.error('e2e: MNIST_DATA_DIR must point at the MNIST files')
  process.exit(2)
}
const work = mkdtempSync(join(tmpdir(), 'mnist-e2e-'))
const started = Date.now()

class E2eFailure extends Error {}
function fail(why) {
  throw new E2eFailure(why)
}

/** Runs `mnist ...args --json` on this Node; returns the last stdout line parsed. */
function mnist(args) {
  const t0 = Date.now()
  const r = spawnSync(process.execPath, [bin, ...args, '--json'], { encoding: 'utf8', timeout: 600_000 })
  if (r.status !== 0) fail(`mnist ${args.join(' ')} exited ${r.status ?? r.signal}:\n${r.stderr}`)
  console.log(`e2e: mnist ${args[0]} ok (${((Date.now() - t0) / 1000).toFixed(1)} s)`)
  return JSON.parse(r.stdout.trim().split('\n').pop())
}

try {
  console.log(`e2e on node ${process.versions.node} (${process.execPath})`)
  const trained = mnist(['train', '--limit', String(limit), '--test-limit', '1000', '--out', work])
  console.log(`e2e: trained ${limit} images on ${trained.backend}: test accuracy ${trained.testAccuracy}`)
  const accuracy = trained.testAccuracy
  if (!(accuracy > 0.85)) fail(`test accuracy ${accuracy} after ${limit} images, expected > 0.85`)

  const evaluated = mnist(['eval', '--model', trained.modelDir, '--limit', '1000', '--no-noise'])
  if (evaluated.count !== 1000) fail(`eval counted ${evaluated.count} images, expected 1000`)
  if (Math.abs(evaluated.accuracy - trained.testAccuracy) > 0.005) {
    fail(`eval accuracy ${evaluated.accuracy} differs from the training's test accuracy ${trained.testAccuracy}`)
  }

  // The first test image of each digit, as an 8-bit grayscale PNG.
  const { test } = await loadMnist({ dataDir })
  const files = []
  for (let digit = 0; digit < 10; digit++) {
    const k = test.labels.indexOf(digit)
    const file = join(work, `digit-${digit}.png`)
    const data = test.images.slice(k * 784, (k + 1) * 784)
    writeFileSync(file, encodePng({ data, width: 28, height: 28, channels: 1 }))
    files.push(file)
  }
  const correct = (out) => out.predictions.filter((p, digit) => p.digit === digit).length
  const own = correct(mnist(['predict', '--model', trained.modelDir, ...files]))
  const pretrained = correct(mnist(['predict', '--pretrained', ...files]))
  if (own < 8) fail(`the trained model got ${own} of 10 digits right, expected at least 8`)
  if (pretrained < 10) fail(`the pretrained model got ${pretrained} of 10 digits right, expected 10`)
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  const summary = `eval ${evaluated.accuracy}, predict ${own}/10, pretrained ${pretrained}/10`
  console.log(`e2e on node ${process.versions.node}: ok in ${seconds} s (${summary})`)
} catch (error) {
  if (!(error instanceof E2eFailure)) throw error
  console.error(`e2e on node ${process.versions.node}: FAILED: ${error.message}`)
  process.exitCode = 1
} finally {
  rmSync(work, { recursive: true, force: true })
}
