import {
  DEFAULT_TRAIN_CONFIG,
  TRAIN_PRESETS,
  train,
  type TrainPresetName,
  type BackendRequest,
  type TrainConfigInput,
  type TrainOptions,
  type TrainResult,
  type TrainStartInfo,
} from '@mnist/train'
import { Option, type Command } from 'commander'
import { addDataOptions, dataSource, type DataFlags } from '../data-flags'
import { CliError } from '../errors'
import { backendOption, intFlag, numberFlag, threadsOption } from '../flags'
import { createProgressView, type ProgressView } from '../progress-view'
import { exitCodeOf } from '../exit-codes'
import { epochLine, header, printInterrupted, printResult, quote, type Emit, type Say } from './train-output'
import { readArchitecture } from './train-arch'
import { withFlagName } from './train-flags'
import { installStopper } from './train-stop'

interface TrainFlags extends DataFlags {
  preset?: TrainPresetName
  validation?: number
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
  arch?: string
}

const d = DEFAULT_TRAIN_CONFIG

/**
 * `mnist train`: flags -> @mnist/train's `train()`; header, progress and result on the terminal. SIGINT, SIGTERM,
 * SIGHUP and a closed stdout stop it with a checkpoint (train-stop.ts); errors naming an option name the flag too.
 */
export function registerTrain(program: Command): void {
  const command = program
    .command('train')
    .description('train the CNN (one epoch by default), evaluate it on the test set and save it')
  addRecipeOptions(command)
    .addOption(backendOption('where to train; auto takes the fastest that works here'))
    .option(
      '--augment',
      `random affine augmentation (rotate +-7 deg, shift +-7 %, scale 0.93-1.07)${d.augment ? ' (default)' : ''}`,
    )
    .option('--no-augment', `no augmentation${d.augment ? '' : ' (default)'}`)
    .option(
      '--out <dir>',
      'parent folder of the run folder <timestamp>-<backend> (default: $MNIST_OUT_DIR, else ./models)',
    )
    .option('--resume <dir>', 'continue an interrupted run from its checkpoint folder (keeps its settings and backend)')
    .option(
      '--arch <file.json>',
      'architecture to train: a JSON file holding an @mnist/model ModelConfig, or "default" (default: default; ' +
        "with --resume: the checkpoint's, which a given one must match)",
    )
  addDataOptions(command)
    .addOption(threadsOption())
    .option('--limit <n>', 'train on the first N training images only (quick runs)', intFlag('--limit', 1, 1_000_000))
    .option('--test-limit <n>', 'evaluate on the first N test images only', intFlag('--test-limit', 1, 1_000_000))
    .option(
      '--validation <n>',
      'hold out the last N training images and evaluate on them instead of the test set (for choosing settings)',
      intFlag('--validation', 0, 1_000_000),
    )
    .option('--json', 'print the result as one JSON object, the last line of stdout (everything else goes to stderr)')
    .action(runTrain)
}

/** The flags of the training recipe: epochs, batch size, learning rate, seed, label smoothing. */
function addRecipeOptions(command: Command): Command {
  const presets = Object.entries(TRAIN_PRESETS).map(([name, p]) => `${name}: ${p.description}`)
  return command
    .addOption(
      new Option(
        '--preset <name>',
        `a named recipe; other flags override its settings (${presets.join('; ')})`,
      ).choices(Object.keys(TRAIN_PRESETS)),
    )
    .option('--epochs <n>', `epochs (default ${d.epochs})`, intFlag('--epochs', 1, 10_000))
    .option('--batch-size <n>', `images per step (default ${d.batchSize})`, intFlag('--batch-size', 1, 65_536))
    .option(
      '--lr <x>',
      `peak learning rate of the one-cycle schedule (default ${d.maxLr})`,
      numberFlag('--lr', 0, 10, true),
    )
    .option(
      '--seed <n>',
      `seed of weights, shuffle, augmentation and dropout (default ${d.seed})`,
      intFlag('--seed', 0, 4_294_967_295),
    )
    .option(
      '--label-smoothing <x>',
      `label smoothing of the loss (default ${d.labelSmoothing})`,
      numberFlag('--label-smoothing', 0, 0.99, false),
    )
}

async function runTrain(flags: TrainFlags): Promise<void> {
  // Read before anything starts: a bad file is a usage error, with nothing to stop or clean up.
  const model = flags.arch !== undefined ? await readArchitecture(flags.arch) : undefined
  const json = Boolean(flags.json)
  const progress = createProgressView(json)
  const stopper = installStopper((signal) => {
    progress.interrupt()
    const again = signal === 'SIGINT' ? 'Ctrl-C' : signal
    err(`\n${signalName(signal)}: saving a checkpoint at the end of this step (${again} again to quit without it)\n`)
  })
  const write = (stream: 'stdout' | 'stderr', text: string): void => {
    if (!stopper.closed(stream)) process[stream].write(text)
  }
  const err = (text: string): void => write('stderr', text)
  const say: Say = (line = '') => write(json ? 'stderr' : 'stdout', `${line}\n`)
  const warn: Say = (line = '') => err(`${line}\n`)
  const emit: Emit = (line) => write('stdout', line)
  let result: TrainResult
  // What train() evaluates on: a resumed run keeps its checkpoint's split, whatever --validation says now.
  const started = { evaluation: 'test' as Evaluation }
  try {
    result = await train({
      ...trainOptions(flags),
      ...(model ? { model } : {}),
      signal: stopper.signal,
      ...progressCallbacks(progress, say, warn, started),
    })
  } catch (error) {
    progress.clear()
    if (stopper.reason !== undefined) {
      throw new CliError(stopper.reason, 'stopped before training started; nothing was saved', { cause: error })
    }
    throw withFlagName(error)
  } finally {
    stopper.dispose()
    progress.stop()
  }
  if (result.interrupted) printInterrupted(result, json, say, emit)
  else printResult(result, json, say, emit, started.evaluation)
  // A run that finished all its epochs before a signal took effect succeeded; a closed stdout lost its output.
  if (stopper.reason !== undefined && (result.interrupted || stopper.reason === 'CLI_OUTPUT_CLOSED')) {
    process.exitCode = exitCodeOf(stopper.reason)
  }
}

function signalName(signal: NodeJS.Signals): string {
  return signal === 'SIGINT' ? 'interrupted' : `${signal} received`
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
    ...(flags.preset !== undefined ? { preset: flags.preset } : {}),
    ...(flags.validation ? { validation: flags.validation } : {}),
    // Recorded in the saved model's metadata, so that anyone can rerun what trained it.
    metadataExtra: { command: commandLine() },
    backend: flags.backend,
    ...dataSource(flags),
    ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
    ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
    ...(flags.testLimit !== undefined ? { testLimit: flags.testLimit } : {}),
    ...(flags.out !== undefined ? { outDir: flags.out } : {}),
    ...(flags.resume !== undefined ? { resume: flags.resume } : {}),
  }
}

/** The command as typed (after the program name), quoted where the shell needs it. */
function commandLine(): string {
  return ['mnist', ...process.argv.slice(2)].map(quote).join(' ')
}

type Evaluation = TrainStartInfo['evaluation']

/**
 * `train()`'s callbacks: the header once training starts, progress, and one line per epoch (after its checkpoint).
 * `started.evaluation` is set to the split train() reports it evaluates on.
 */
function progressCallbacks(
  progress: ProgressView,
  say: Say,
  warn: Say,
  started: { evaluation: Evaluation },
): Partial<TrainOptions> {
  let epochs = 0
  let evaluation: Evaluation = 'test'
  return {
    onDataProgress: (p) => progress.download(p.file, p.bytes, p.total),
    onStart: (info) => {
      progress.clear()
      epochs = info.config.epochs
      evaluation = info.evaluation
      started.evaluation = info.evaluation
      header(info, say, warn)
    },
    onProgress: (p) => progress.step(p),
    onEvaluate: ({ epoch, images }) => progress.evaluating(epoch, images, evaluation),
    onEpochEnd: (s) => {
      progress.clear()
      say(epochLine(s, epochs, evaluation))
    },
  }
}
