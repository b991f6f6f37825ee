import {
  BACKEND_ORDER,
  DEFAULT_TRAIN_CONFIG,
  train,
  type BackendRequest,
  type EpochSummary,
  type TrainConfigInput,
  type TrainProgress,
  type TrainResult,
  type TrainStartInfo,
} from '@mnist/train'
import cliProgress from 'cli-progress'
import { Option, type Command } from 'commander'
import { intFlag, numberFlag } from '../flags'

interface TrainFlags {
  epochs?: number
  batchSize?: number
  lr?: number
  seed?: number
  labelSmoothing?: number
  backend: BackendRequest
  augment?: boolean
  out?: string
  resume?: string
  dataset?: 'mnist' | 'fashion-mnist' | 'custom'
  dataDir?: string
  mirror?: string
  cacheDir?: string
  threads?: number
  limit?: number
  testLimit?: number
  json?: boolean
}

const d = DEFAULT_TRAIN_CONFIG

/** `mnist train`: flags -> @mnist/train's `train()`; header, progress and result on the terminal. */
export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train the CNN (one epoch by default), evaluate it on the test set and save it')
    .option('--epochs <n>', `epochs (default ${d.epochs})`, intFlag('--epochs', 1, 10_000))
    .option('--batch-size <n>', `images per step (default ${d.batchSize})`, intFlag('--batch-size', 1, 65_536))
    .option('--lr <x>', `peak learning rate of the one-cycle schedule (default ${d.maxLr})`, numberFlag('--lr', 0, 10, true))
    .option('--seed <n>', `seed of weights, shuffle, augmentation and dropout (default ${d.seed})`, intFlag('--seed', 0, 4_294_967_295))
    .option(
      '--label-smoothing <x>',
      `label smoothing of the loss (default ${d.labelSmoothing})`,
      numberFlag('--label-smoothing', 0, 0.99, false),
    )
    .addOption(
      new Option('--backend <name>', 'where to train; auto takes the fastest that works here')
        .choices(['auto', ...BACKEND_ORDER])
        .env('MNIST_BACKEND')
        .default('auto'),
    )
    .option('--augment', `random affine augmentation (rotate +-7 deg, shift +-7 %, scale 0.93-1.07)${d.augment ? ' (default)' : ''}`)
    .option('--no-augment', `no augmentation${d.augment ? '' : ' (default)'}`)
    .option('--out <dir>', 'parent folder of the run folder <timestamp>-<backend> (default: $MNIST_OUT_DIR, else ./models)')
    .option('--resume <dir>', 'continue an interrupted run from its checkpoint folder (keeps its settings)')
    .addOption(new Option('--dataset <name>', 'dataset (default mnist)').choices(['mnist', 'fashion-mnist', 'custom']))
    .addOption(new Option('--data-dir <dir>', 'read the dataset from this folder (default: $MNIST_DATA_DIR)').conflicts('mirror'))
    .option('--mirror <url>', 'download from this base URL (default: $MNIST_MIRROR, then the built-in mirrors)')
    .option('--cache-dir <dir>', 'download cache (default: $MNIST_CACHE_DIR, then the platform cache folder)')
    .addOption(
      new Option('--threads <n>', 'threads for the simd and wasm backends (default: all cores)')
        .env('MNIST_THREADS')
        .argParser(intFlag('--threads', 1, 256)),
    )
    .option('--limit <n>', 'train on the first N training images only (quick runs)', intFlag('--limit', 1, 1_000_000))
    .option('--test-limit <n>', 'evaluate on the first N test images only', intFlag('--test-limit', 1, 1_000_000))
    .option('--json', 'print the result as one JSON object, the last line of stdout (everything else goes to stderr)')
    .action(async (flags: TrainFlags) => {
      const human = flags.json ? process.stderr : process.stdout
      const say = (line = ''): void => {
        human.write(`${line}\n`)
      }
      const progress = createProgressView(Boolean(flags.json))

      const config: TrainConfigInput = {
        ...(flags.epochs !== undefined ? { epochs: flags.epochs } : {}),
        ...(flags.batchSize !== undefined ? { batchSize: flags.batchSize } : {}),
        ...(flags.lr !== undefined ? { maxLr: flags.lr } : {}),
        ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
        ...(flags.labelSmoothing !== undefined ? { labelSmoothing: flags.labelSmoothing } : {}),
        ...(flags.augment !== undefined ? { augment: flags.augment } : {}),
      }

      const controller = new AbortController()
      let interrupts = 0
      const onSigint = (): void => {
        interrupts += 1
        if (interrupts === 1) {
          progress.interrupt()
          process.stderr.write('\ninterrupted: saving a checkpoint at the end of this step (Ctrl-C again to quit without it)\n')
          controller.abort()
        } else {
          process.exit(130)
        }
      }
      process.on('SIGINT', onSigint)

      let result: TrainResult
      let epochs = 0
      try {
        result = await train({
          config,
          backend: flags.backend,
          ...(flags.threads !== undefined ? { threads: flags.threads } : {}),
          ...(flags.dataset !== undefined ? { dataset: flags.dataset } : {}),
          ...(flags.dataDir !== undefined ? { dataDir: flags.dataDir } : {}),
          ...(flags.mirror !== undefined ? { mirror: flags.mirror } : {}),
          ...(flags.cacheDir !== undefined ? { cacheDir: flags.cacheDir } : {}),
          ...(flags.limit !== undefined ? { limit: flags.limit } : {}),
          ...(flags.testLimit !== undefined ? { testLimit: flags.testLimit } : {}),
          ...(flags.out !== undefined ? { outDir: flags.out } : {}),
          ...(flags.resume !== undefined ? { resume: flags.resume } : {}),
          signal: controller.signal,
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
        })
      } catch (error) {
        progress.clear()
        if (controller.signal.aborted) {
          throw Object.assign(new Error('interrupted before training started; nothing was saved'), { exitCode: 130, cause: error })
        }
        throw error
      } finally {
        process.off('SIGINT', onSigint)
        progress.stop()
      }

      if (result.interrupted) {
        say(`stopped at step ${result.step}/${result.totalSteps} (epoch ${result.epochsCompleted + 1}/${result.epochs})`)
        if (result.checkpointDir) {
          say(`checkpoint: ${result.checkpointDir}`)
          say(`resume with: mnist train --resume ${quote(result.checkpointDir)}`)
        }
        if (flags.json) {
          process.stdout.write(
            `${JSON.stringify({ interrupted: true, step: result.step, totalSteps: result.totalSteps, checkpointDir: result.checkpointDir ?? null })}\n`,
          )
        }
        process.exitCode = 130
        return
      }

      const pct = (x: number | undefined): string => (x === undefined ? '-' : `${(x * 100).toFixed(2)} %`)
      say()
      say(`test accuracy ${pct(result.testAccuracy)} (train ${pct(result.trainAccuracy)}, loss ${result.trainLoss.toFixed(4)})`)
      say(
        `${result.epochs} epoch${result.epochs === 1 ? '' : 's'} on ${result.backend}: ${result.seconds.toFixed(1)} s ` +
          `(${result.trainSeconds.toFixed(1)} s training, ${Math.round(result.imagesPerSecond).toLocaleString('en-US')} images/s)`,
      )
      if (result.modelDir) say(`saved to ${result.modelDir}`)
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({
            testAccuracy: result.testAccuracy ?? null,
            trainAccuracy: result.trainAccuracy,
            loss: result.trainLoss,
            params: result.params,
            epochs: result.epochs,
            backend: result.backend,
            seconds: round(result.seconds, 3),
            imagesPerSecond: round(result.imagesPerSecond, 1),
            modelDir: result.modelDir ?? null,
          })}\n`,
        )
      }
    })
}

function header(info: TrainStartInfo, say: (line?: string) => void): void {
  const c = info.config
  say(`backend: ${info.backend} (${info.device})`)
  for (const s of info.skipped) say(`  skipped ${s.backend}: ${s.reason}`)
  if (info.stepEngine === 'fused') say('step: fused (one WebAssembly pass per layer, forward and backward)')
  else if (info.stepEngineReason) say(`step: tfjs ops (the fused step is off: ${info.stepEngineReason})`)
  say(
    `model: ${info.params.toLocaleString('en-US')} parameters, budget OK (< ${info.budget.toLocaleString('en-US')})`,
  )
  say(
    `data: ${info.dataset}, ${info.trainImages.toLocaleString('en-US')} training / ${info.testImages.toLocaleString('en-US')} test images (${info.dataSource})`,
  )
  say(
    `training: ${c.epochs} epoch${c.epochs === 1 ? '' : 's'} x ${info.batchesPerEpoch} steps, batch ${c.batchSize}, ` +
      `AdamW (weight decay ${c.weightDecay}), one-cycle lr ${c.maxLr} (warm-up ${c.pctStart * 100} %), ` +
      `${c.labelSmoothing ? `label smoothing ${c.labelSmoothing}, ` : ''}${c.augment ? 'augmentation' : 'no augmentation'}, seed ${c.seed}`,
  )
  if (info.resumedFrom) say(`resuming ${info.resumedFrom} at step ${info.position.step}/${info.totalSteps}`)
  if (info.runDir) say(`checkpoints: ${info.runDir}`)
}

function epochLine(s: EpochSummary, epochs: number): string {
  return (
    `epoch ${s.epoch}/${epochs}: train loss ${s.trainLoss.toFixed(4)}, train acc ${(s.trainAccuracy * 100).toFixed(2)} %, ` +
    `test loss ${s.testLoss.toFixed(4)}, test acc ${(s.testAccuracy * 100).toFixed(2)} % ` +
    `(${s.trainSeconds.toFixed(1)} s + ${s.evalSeconds.toFixed(1)} s eval)`
  )
}

interface ProgressView {
  download(file: string, bytes: number, total: number | undefined): void
  step(p: TrainProgress): void
  evaluating(epoch: number, images: number): void
  interrupt(): void
  clear(): void
  stop(): void
}

/** A bar on a TTY (stderr), else a plain line every 10 % of an epoch or every 15 s, whichever comes first. */
function createProgressView(json: boolean): ProgressView {
  const tty = Boolean(process.stderr.isTTY)
  if (tty) {
    const bar = new cliProgress.SingleBar(
      {
        stream: process.stderr,
        format: 'epoch {epoch} |{bar}| {value}/{total} | loss {loss} | acc {acc} | {rate} img/s | ETA {eta_h}',
        etaBuffer: 50,
        hideCursor: true,
        clearOnComplete: true,
        barsize: 24,
        fps: 8,
      },
      cliProgress.Presets.shades_classic,
    )
    let running = false
    let epochShown = 0
    return {
      download(file, bytes, total) {
        process.stderr.write(`\r\x1b[Kdownloading ${file}: ${(bytes / 1048576).toFixed(1)}${total ? ` / ${(total / 1048576).toFixed(1)}` : ''} MB`)
      },
      step(p) {
        const payload = {
          epoch: `${p.epoch}/${p.epochs}`,
          loss: p.loss.toFixed(4),
          acc: `${(p.accuracy * 100).toFixed(1)}%`,
          rate: Math.round(p.imagesPerSecond).toLocaleString('en-US'),
          eta_h: duration(p.etaSeconds),
        }
        if (!running || epochShown !== p.epoch) {
          if (running) bar.stop()
          bar.start(p.batches, p.batch, payload)
          running = true
          epochShown = p.epoch
        } else {
          bar.update(p.batch, payload)
        }
      },
      evaluating(epoch, images) {
        if (running) bar.stop()
        running = false
        process.stderr.write(`\r\x1b[Kepoch ${epoch}: evaluating on ${images.toLocaleString('en-US')} test images...`)
      },
      interrupt() {
        if (running) bar.stop()
        running = false
      },
      clear() {
        if (running) bar.stop()
        running = false
        process.stderr.write('\r\x1b[K')
      },
      stop() {
        if (running) bar.stop()
        running = false
      },
    }
  }
  let lastAt = 0
  let lastTenth = -1
  return {
    download() {},
    step(p) {
      const now = Date.now()
      const tenth = Math.floor((p.batch * 10) / p.batches)
      if (tenth === lastTenth && now - lastAt < 15_000 && p.batch !== p.batches) return
      lastTenth = tenth
      lastAt = now
      process.stderr.write(
        `epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches} loss ${p.loss.toFixed(4)} acc ${(p.accuracy * 100).toFixed(1)}% ` +
          `${Math.round(p.imagesPerSecond)} img/s eta ${duration(p.etaSeconds)}\n`,
      )
    },
    evaluating(epoch, images) {
      if (!json) process.stderr.write(`epoch ${epoch}: evaluating on ${images} test images\n`)
    },
    interrupt() {},
    clear() {},
    stop() {},
  }
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '-'
  const s = Math.max(0, Math.round(seconds))
  const m = Math.floor(s / 60)
  return m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`
}

function round(x: number, digits: number): number {
  const f = 10 ** digits
  return Math.round(x * f) / f
}

function quote(p: string): string {
  return /^[\w@%+=:,./-]+$/.test(p) ? p : `'${p.replace(/'/g, `'\\''`)}'`
}
