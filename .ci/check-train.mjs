#!/usr/bin/env node
// Checks the result of one CI training run: `node .ci/check-train.mjs <stdout of mnist train --json> [min accuracy]`.
// The JSON result is the last line of that stdout. Fails (exit 1) unless the run trained exactly one epoch, the model
// is under the 25,000-parameter budget, its test accuracy reaches the threshold, and its folder holds the files a
// saved model is made of. Prints the model folder as `model-dir=<path>` (for $GITHUB_OUTPUT) and a Markdown summary
// to $GITHUB_STEP_SUMMARY when that is set.
import { appendFileSync, existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

// @mnist/model's PARAM_BUDGET (its built entry; CI builds the CLI and its dependencies first): a model must have
// strictly fewer trainable parameters.
const { PARAM_BUDGET } = await import('../packages/mnist-model/dist/index.js')
const MODEL_FILES = ['model.json', 'weights.bin', 'metadata.json']

const [resultFile, minAccuracyArg = '0.99'] = process.argv.slice(2)
if (!resultFile) {
  console.error('usage: node .ci/check-train.mjs <stdout of mnist train --json> [min accuracy, default 0.99]')
  process.exit(2)
}
const minAccuracy = Number(minAccuracyArg)
const lines = readFileSync(resultFile, 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
let result
try {
  result = JSON.parse(lines.at(-1) ?? '')
} catch {
  console.error(`check-train: the last line of ${resultFile} is not the JSON result of mnist train --json:`)
  console.error(lines.at(-1) ?? '(empty)')
  process.exit(1)
}

const failures = []
const check = (ok, message) => {
  if (!ok) failures.push(message)
}
check(result.epochs === 1, `expected exactly 1 epoch, got ${result.epochs}`)
check(
  Number.isInteger(result.params) && result.params < PARAM_BUDGET,
  `expected fewer than ${PARAM_BUDGET} parameters, got ${result.params}`,
)
check(
  typeof result.testAccuracy === 'number' && result.testAccuracy >= minAccuracy,
  `expected test accuracy >= ${(minAccuracy * 100).toFixed(2)} %, got ${(result.testAccuracy * 100).toFixed(2)} %`,
)
const dir = typeof result.modelDir === 'string' ? result.modelDir : ''
for (const file of MODEL_FILES) check(dir !== '' && existsSync(join(dir, file)), `expected ${file} in "${dir}"`)
if (dir !== '' && existsSync(join(dir, 'metadata.json'))) {
  const metadata = JSON.parse(readFileSync(join(dir, 'metadata.json'), 'utf8'))
  const params = metadata.params
  check(params === result.params, `metadata.json says ${params} parameters, the result ${result.params}`)
}

const accuracy = `${(result.testAccuracy * 100).toFixed(2)} %`
const summary = [
  '### One-epoch training',
  '',
  '| check | value | required |',
  '|---|---|---|',
  `| epochs | ${result.epochs} | 1 |`,
  `| trainable parameters | ${result.params} | < ${PARAM_BUDGET} |`,
  `| test accuracy | ${accuracy} | >= ${(minAccuracy * 100).toFixed(2)} % |`,
  `| backend, seconds | ${result.backend}, ${result.seconds} s | |`,
  '',
  failures.length === 0 ? 'All checks passed.' : `Failed:\n${failures.map((f) => `- ${f}`).join('\n')}`,
  '',
].join('\n')
if (process.env.GITHUB_STEP_SUMMARY) appendFileSync(process.env.GITHUB_STEP_SUMMARY, summary)
console.error(summary)
if (failures.length > 0) process.exit(1)
console.log(`model-dir=${dir}`)
