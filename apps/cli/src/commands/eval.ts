import { loadMnist, normalizationFor, type MnistData, type Normalization } from '@mnist/data'
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
import { loadModel, usesFusedInference, type LoadedModel, type ModelMetadata } from '@mnist/model'
import { selectBackend, type BackendRequest, type BackendSelection } from '@mnist/backends'
import type { Command } from 'commander'
import { addDataOptions, dataSource, datasetOf, type DataFlags } from '../data-flags'
import { backendOption, intFlag, numberList } from '../flags'
import { humanSummary, jsonResult, type Speed } from './eval-output'
import { checkDigitModel } from './model-check'

interface EvalFlags extends DataFlags {
  model: string
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
  const command = program
    .command('eval')
    .description(
      'evaluate a saved model on the test split: accuracy, loss, per-class metrics, confusion matrix, noise robustness',
    )
    .requiredOption('--model <dir>', 'model folder (model.json + weights.bin), e.g. one written by "mnist train"')
  addDataOptions(command)
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
    .action(runEval)
}

async function runEval(flags: EvalFlags): Promise<void> {
  const say = (line: string): void => {
    if (!flags.json) process.stderr.write(`${line}\n`)
  }
  const dataset = datasetOf(flags)
  const selection = await selectBackend(flags.backend)
  const { model, metadata } = await loadModel(flags.model)
  try {
    checkDigitModel(model, `model ${flags.model}`)
    if (metadata?.dataset && metadata.dataset !== dataset) {
      process.stderr.write(`warning: the model was trained on ${metadata.dataset} but is evaluated on ${dataset}\n`)
    }
    const data = await loadMnist({ ...dataSource(flags), dataset })
    const normalization = metadata?.normalization ?? normalizationFor(dataset)
    const count = Math.min(data.test.count, flags.limit ?? Infinity)
    say(`evaluating ${count} ${data.dataset} test images on ${selection.backend} (${selection.device})`)
    const { evaluation, noise, speed } = await measure(model, data, normalization, flags, say)
    let reportFiles: string[] | undefined
    if (flags.report !== undefined) {
      const about = modelInfo(flags.model, metadata, selection)
      const report = { evaluation, noise, images: { ...data.test, count }, model: about, dataset: data.dataset }
      reportFiles = (await writeReport(report, flags.report)).files
    }
    if (flags.json) {
      const result = jsonResult(evaluation, noise, selection.backend, data.dataset, reportFiles, speed)
      process.stdout.write(`${JSON.stringify(result)}\n`)
    } else {
      process.stdout.write(humanSummary(evaluation, noise, flags.model, data.dataset, reportFiles, speed))
    }
  } finally {
    model.dispose()
  }
}

/** Accuracy and the rest on the clean test split, then (unless --no-noise) under noise. */
async function measure(
  model: LoadedModel['model'],
  data: MnistData,
  normalization: Normalization,
  flags: EvalFlags,
  say: (line: string) => void,
): Promise<{ evaluation: EvalResult; noise: NoiseResult | undefined; speed: Speed }> {
  const limit = flags.limit !== undefined ? { limit: flags.limit } : {}
  const options = { batchSize: flags.batchSize, normalization, ...limit }
  const start = performance.now()
  const evaluation = await evaluate(model, data.test, options)
  const speed: Speed = {
    imagesPerSecond: evaluation.count / ((performance.now() - start) / 1000),
    // asked after the pass: a network the backend's fused inference refused went through model.predict
    inference: usesFusedInference(model) ? 'fused' : 'tfjs',
  }
  if (flags.noise === false) return { evaluation, noise: undefined, speed }
  const levels = `${flags.noise.length} Gaussian levels, ${flags.saltPepper.length} salt-and-pepper rates`
  say(`measuring noise robustness (${levels})`)
  const noise = await noiseRobustness(model, data.test, {
    ...options,
    sigmas: flags.noise,
    saltPepperRates: flags.saltPepper,
    seed: flags.seed,
  })
  return { evaluation, noise, speed }
}

/** The model section of a report: where it is, what its metadata says, and where it was evaluated. */
function modelInfo(dir: string, metadata: ModelMetadata | undefined, selection: BackendSelection) {
  return {
    dir,
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
}
