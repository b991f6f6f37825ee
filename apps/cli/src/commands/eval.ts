import { loadMnist, normalizationFor, type DatasetName } from '@mnist/data'
import {
  DEFAULT_NOISE_SEED,
  DEFAULT_NOISE_SIGMAS,
  DEFAULT_SALT_PEPPER_RATES,
  evaluate,
  noiseRobustness,
  writeReport,
  type EvalResult,
  type NoiseResult,
} from '@mnist/eval'
import { loadModel } from '@mnist/model'
import { selectBackend, type BackendRequest } from '@mnist/train'
import { Option, type Command } from 'commander'
import { backendOption, intFlag, numberList } from '../flags'

interface EvalFlags {
  model: string
  dataset: DatasetName
  dataDir?: string
  mirror?: string
  cacheDir?: string
  noise: number[] | false
  saltPepper: number[]
  seed: number
  batchSize: number
  limit?: number
  report?: string
  backend: BackendRequest
  json?: boolean
}

/** `mnist eval`: loads a saved model and the test split, then measures it (and optionally writes a report). */
export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('evaluate a saved model on the test split: accuracy, loss, per-class metrics, confusion matrix, noise robustness')
    .requiredOption('--model <dir>', 'model folder (model.json + weights.bin), e.g. one written by "mnist train"')
    .addOption(new Option('--dataset <name>', 'which test set').choices(['mnist', 'fashion-mnist', 'custom']).default('mnist'))
    .addOption(new Option('--data-dir <dir>', 'read the dataset from this folder (default: $MNIST_DATA_DIR)').conflicts('mirror'))
    .option('--mirror <url>', 'download from this base URL (default: $MNIST_MIRROR, then built-in mirrors)')
    .option('--cache-dir <dir>', 'cache root (default: $MNIST_CACHE_DIR, then the platform cache folder)')
    .option(
      '--noise <sigmas>',
      'Gaussian noise levels added to the normalised input, comma-separated',
      numberList(0, 100, 'sigmas'),
      [...DEFAULT_NOISE_SIGMAS],
    )
    .option('--no-noise', 'skip the noise-robustness measurements')
    .option(
      '--salt-pepper <rates>',
      'salt-and-pepper rates (fraction of pixels flipped), comma-separated',
      numberList(0, 1, 'rates'),
      [...DEFAULT_SALT_PEPPER_RATES],
    )
    .option('--seed <n>', 'seed of the noise', intFlag('--seed', 0, 0xffffffff), DEFAULT_NOISE_SEED)
    .option('--batch-size <n>', 'images per forward pass', intFlag('--batch-size', 1, 65_536), 256)
    .option('--limit <n>', 'evaluate only the first N test images', intFlag('--limit', 1, 1_000_000))
    .option('--report <dir>', 'write report.json, report.md, confusion.png, noise.png and misclassified.png to DIR')
    .addOption(backendOption())
    .option('--json', 'print one JSON object on stdout')
    .action(async (flags: EvalFlags) => {
      const say = (line: string): void => {
        if (!flags.json) process.stderr.write(`${line}\n`)
      }
      const selection = await selectBackend(flags.backend)
      const { model, metadata } = await loadModel(flags.model)
      try {
        if (metadata?.dataset && metadata.dataset !== flags.dataset) {
          process.stderr.write(`warning: the model was trained on ${metadata.dataset} but is evaluated on ${flags.dataset}\n`)
        }
        const data = await loadMnist({
          dataset: flags.dataset,
          ...(flags.dataDir !== undefined ? { dataDir: flags.dataDir } : {}),
          ...(flags.mirror !== undefined ? { mirror: flags.mirror } : {}),
          ...(flags.cacheDir !== undefined ? { cacheDir: flags.cacheDir } : {}),
        })
        const normalization = metadata?.normalization ?? normalizationFor(flags.dataset)
        const options = {
          batchSize: flags.batchSize,
          normalization,
          ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
        }
        const count = Math.min(data.test.count, flags.limit ?? Infinity)
        say(`evaluating ${count} ${data.dataset} test images on ${selection.backend} (${selection.device})`)
        const evaluation = await evaluate(model, data.test, options)
        let noise: NoiseResult | undefined
        if (flags.noise !== false) {
          say(`measuring noise robustness (${flags.noise.length} Gaussian levels, ${flags.saltPepper.length} salt-and-pepper rates)`)
          noise = await noiseRobustness(model, data.test, {
            ...options,
            sigmas: flags.noise,
            saltPepperRates: flags.saltPepper,
            seed: flags.seed,
          })
        }
        let reportFiles: string[] | undefined
        if (flags.report !== undefined) {
          const modelInfo = {
            dir: flags.model,
            ...(metadata
              ? {
                  params: metadata.params,
                  dataset: metadata.dataset,
                  epochs: metadata.epochs,
                  testAccuracy: metadata.testAccuracy,
                  backend: metadata.backend,
                  seed: metadata.seed,
                  createdAt: metadata.createdAt,
                }
              : {}),
            evaluatedOn: `${selection.backend} (${selection.device})`,
          }
          const images = { ...data.test, count }
          reportFiles = (await writeReport({ evaluation, noise, images, model: modelInfo, dataset: data.dataset }, flags.report)).files
        }
        if (flags.json) {
          process.stdout.write(`${JSON.stringify(jsonResult(evaluation, noise, selection.backend, data.dataset, reportFiles))}\n`)
        } else {
          process.stdout.write(humanSummary(evaluation, noise, flags.model, data.dataset, reportFiles))
        }
      } finally {
        model.dispose()
      }
    })
}

function jsonResult(
  e: EvalResult,
  noise: NoiseResult | undefined,
  backend: string,
  dataset: string,
  reportFiles: string[] | undefined,
): Record<string, unknown> {
  return {
    accuracy: e.accuracy,
    loss: e.loss,
    count: e.count,
    errors: e.misclassified.length,
    confusion: e.confusion,
    perClass: e.perClass,
    noise: noise ? noise.gaussian : [],
    saltPepper: noise ? noise.saltPepper : [],
    meanLogitDelta: noise ? noise.meanLogitDelta : null,
    seed: noise ? noise.seed : null,
    dataset,
    backend,
    ...(reportFiles ? { report: reportFiles } : {}),
  }
}

function humanSummary(
  e: EvalResult,
  noise: NoiseResult | undefined,
  modelDir: string,
  dataset: string,
  reportFiles: string[] | undefined,
): string {
  const pct = (x: number): string => `${(x * 100).toFixed(2)} %`
  const out: string[] = []
  out.push(`model:    ${modelDir}`)
  out.push(`dataset:  ${dataset} test split, ${e.count} images`)
  out.push(`accuracy: ${pct(e.accuracy)} (${e.misclassified.length} errors)`)
  out.push(`loss:     ${e.loss.toFixed(4)} (mean cross-entropy)`)
  out.push('')
  out.push('digit  precision  recall  f1      support')
  for (const c of e.perClass) {
    out.push(`${String(c.digit).padEnd(7)}${c.precision.toFixed(4).padEnd(11)}${c.recall.toFixed(4).padEnd(8)}${c.f1.toFixed(4).padEnd(8)}${c.support}`)
  }
  out.push('')
  out.push('confusion matrix (rows: true, columns: predicted)')
  const width = Math.max(4, ...e.confusion.flat().map((v) => String(v).length + 1))
  out.push(`     ${e.confusion.map((_, p) => String(p).padStart(width)).join('')}`)
  e.confusion.forEach((row, t) => out.push(`  ${String(t).padEnd(3)}${row.map((v) => String(v).padStart(width)).join('')}`))
  if (noise) {
    out.push('')
    out.push(`noise robustness (seed ${noise.seed})`)
    for (const g of noise.gaussian) out.push(`  Gaussian sigma ${String(g.sigma).padEnd(6)} ${pct(g.accuracy)}`)
    for (const s of noise.saltPepper) out.push(`  salt-and-pepper ${String(s.rate).padEnd(5)} ${pct(s.accuracy)}`)
    out.push(`  mean |delta logit| at sigma ${noise.meanLogitDeltaSigma}: ${noise.meanLogitDelta.toFixed(4)}`)
  }
  if (reportFiles) {
    out.push('')
    out.push(`report: ${reportFiles.join(', ')}`)
  }
  return `${out.join('\n')}\n`
}
