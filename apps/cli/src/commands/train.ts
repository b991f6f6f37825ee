import {
  DEFAULT_TRAIN_CONFIG,
  train,
  type BackendRequest,
  type TrainConfigInput,
  type TrainOptions,
  type TrainResult,
} from '@mnist/train'
import type { Command } from 'commander'
import { addDataOptions, dataSource, type DataFlags } from '../data-flags'
import { CliError } from '../errors'
import { backendOption, intFlag, numberFlag, threadsOption } from '../flags'
import { createProgressView, type ProgressView } from '../progress-view'
import { epochLine, header, printInterrupted, printResult, type Say } from './train-output'

interface TrainFlags extends DataFlags {
  epochs?: number
  batchSize?: number
  lr?: number
  seed?: number
  labelSmoothing?: number
  backend: BackendRequest
  augment?: boolean
  out?: string
  resume?: string
  threads?: number
  limit?: number
  testLimit?: number
  json?: boolean
}

const d = DEFAULT_TRAIN_CONFIG

/** `mnist train`: flags -> @mnist/train's `train()`; header, progress and result on the terminal. */
export function registerTrain(program: Command): void {
  const command = program
    .command('train')
    .description('train the CNN (one epoch by default), evaluate it on the test set and save it')
  addRecipeOptions(command)
    .addOption(backendOption('where to train; auto takes the fastest that works here'))
    .option('--augment', `random affine augmentation (rotate +-7 deg, shift +-7 %, scale 0.93-1.07)${d.augment ? ' (default)' : ''}`)
    .option('--no-augment', `no augmentation${d.augment ? '' : ' (default)'}`)
    .option('--out <dir>', 'parent folder of the run folder <timestamp>-<backend> (default: $MNIST_OUT_DIR, else ./models)')
    .option('--resume <dir>', 'continue an interrupted run from its checkpoint folder (keeps its settings)')
  addDataOptions(command)
    .addOption(threadsOption())
    .option('--limit <n>', 'train on the first N training images only (quick runs)', intFlag('--limit', 1, 1_000_000))
    .option('--test-limit <n>', 'evaluate on the first N test images only', intFlag('--test-limit', 1, 1_000_000))
    .option('--json', 'print the result as one JSON object, the last line of stdout (everything else goes to stderr)')
    .action(runTrain)
}

/** The flags of the training recipe: epochs, batch size, learning rate, seed, label smoothing. */
function addRecipeOptions(command: Command): Command {
  return command
    .option('--epochs <n>', `epochs (default ${d.epochs})`, intFlag('--epochs', 1, 10_000))
    .option('--batch-size <n>', `images per step (default ${d.batchSize})`, intFlag('--batch-size', 1, 65_536))
    .option('--lr <x>', `peak learning rate of the one-cycle schedule (default ${d.maxLr})`, numberFlag('--lr', 0, 10, true))
    .option('--seed <n>', `seed of weights, shuffle, augmentation and dropout (default ${d.seed})`, intFlag('--seed', 0, 4_294_967_295))
    .option(
      '--label-smoothing <x>',
      `label smoothing of the loss (default ${d.labelSmoothing})`,
      numberFlag('--label-smoothing', 0, 0.99, false),
    )
}

async function runTrain(flags: TrainFlags): Promise<void> {
  const human = flags.json ? process.stderr : process.stdout
  const say: Say = (line = '') => {
    human.write(`${line}\n`)
  }
  const progress = createProgressView(Boolean(flags.json))
  const interrupt = onCtrlC(progress)
  let result: TrainResult
  try {
    result = await train({ ...trainOptions(flags), signal: interrupt.signal, ...progressCallbacks(progress, say) })
  } catch (error) {
    progress.clear()
    if (interrupt.signal.aborted) {
      throw new CliError('CLI_INTERRUPTED', 'interrupted before training started; nothing was saved', { cause: error })
    }
    throw error
  } finally {
    interrupt.dispose()
    progress.stop()
  }
  if (result.interrupted) {
    printInterrupted(result, Boolean(flags.json), say)
    process.exitCode = 130
    return
  }
  printResult(result, Boolean(flags.json), say)
}

/** The flags as `train()` options (flags not given are left out, so the package's defaults apply). */
function trainOptions(flags: TrainFlags): TrainOptions {
  const config: TrainConfigInput = {
    ...(flags.epochs !== undefined ? { epochs: flags.epochs } : {}),
    ...(flags.batchSize !== undefined ? { batchSize: flags.batchSize } : {}),
    ...(flags.lr !== undefined ? { maxLr: flags.lr } : {}),
    ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
    ...(flags.labelSmoothing !== undefined ? { labelSmoothing: flags.labelSmoothing } : {}),
    ...(flags.augment !== undefined ? { augment: flags.augment } : {}),
  }
  return {
    config,
    backend: flags.backend,
    ...dataSource(flags),
    ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
    ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
    ...(flags.testLimit !== undefined ? { testLimit: flags.testLimit } : {}),
    ...(flags.out !== undefined ? { outDir: flags.out } : {}),
    ...(flags.resume !== undefined ? { resume: flags.resume } : {}),
  }
}

/** `train()`'s callbacks: the header once training starts, progress, and one line per epoch. */
function progressCallbacks(progress: ProgressView, say: Say): Partial<TrainOptions> {
  let epochs = 0
  return {
    onDataProgress: (p) => progress.download(p.file, p.bytes, p.total),
    onStart: (info) => {
      progress.clear()
      epochs = info.config.epochs
      header(info, say)
    },
    onProgress: (p) => progress.step(p),
    onEvaluate: ({ epoch, images }) => progress.evaluating(epoch, images),
    onEpochEnd: (s) => {
      progress.clear()
      say(epochLine(s, epochs))
    },
  }
}

/** First Ctrl-C: stop at the end of the step and checkpoint (via the signal); second: quit at once. */
function onCtrlC(progress: ProgressView): { signal: AbortSignal; dispose: () => void } {
  const controller = new AbortController()
  let interrupts = 0
  const onSigint = (): void => {
    interrupts += 1
    if (interrupts > 1) process.exit(130)
    progress.interrupt()
    process.stderr.write('\ninterrupted: saving a checkpoint at the end of this step (Ctrl-C again to quit without it)\n')
    controller.abort()
  }
  process.on('SIGINT', onSigint)
  return { signal: controller.signal, dispose: () => process.off('SIGINT', onSigint) }
}
