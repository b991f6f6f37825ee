import type { DatasetName } from '@mnist/data'
import { Option, type Command } from 'commander'
import { intFlag, numberFlag } from './flags'

/** The flags that say where a dataset comes from and how to download it, as commander parses them. */
export interface DataFlags {
  dataset?: DatasetName
  dataDir?: string
  mirror?: string
  cacheDir?: string
  /** Seconds. */
  timeout?: number
  retries?: number
}

/** `loadMnist` options from the data flags. */
export interface DataSourceOptions {
  dataset?: DatasetName
  dataDir?: string
  mirror?: string
  cacheDir?: string
  timeoutMs?: number
  retries?: number
}

const DATASETS: DatasetName[] = ['mnist', 'fashion-mnist', 'custom']

/**
 * Adds `--dataset`, `--data-dir`, `--mirror`, `--cache-dir`, `--timeout` and `--retries`, with one help text each for
 * every command (the environment variables behind the last two are read by @mnist/data itself). `--dataset`
 * has no commander default: `train --resume` takes the dataset from the checkpoint; the others use `datasetOf`.
 */
export function addDataOptions(command: Command): Command {
  return command
    .addOption(new Option('--dataset <name>', 'which dataset (default: mnist)').choices(DATASETS))
    .addOption(
      new Option(
        '--data-dir <dir>',
        'read the four files from this folder, .gz or raw (default: $MNIST_DATA_DIR)',
      ).conflicts('mirror'),
    )
    .addOption(
      new Option('--mirror <url>', 'download from this base URL (default: $MNIST_MIRROR, then built-in mirrors)'),
    )
    .addOption(
      new Option('--cache-dir <dir>', 'download cache (default: $MNIST_CACHE_DIR, then the platform cache folder)'),
    )
    .addOption(
      new Option(
        '--timeout <s>',
        'give up on a mirror that sends nothing for this many seconds (default: $MNIST_DOWNLOAD_TIMEOUT, then 30)',
      ).argParser(numberFlag('--timeout', 0, 86_400, true)),
    )
    .addOption(
      new Option(
        '--retries <n>',
        'extra tries per mirror after a network error (default: $MNIST_DOWNLOAD_RETRIES, then 3)',
      ).argParser(intFlag('--retries', 0, 100)),
    )
}

/** The dataset asked for, `mnist` when none was. */
export function datasetOf(flags: DataFlags): DatasetName {
  return flags.dataset ?? 'mnist'
}

/** The data flags given, as `loadMnist` / `train` options (flags not given are left out, so defaults apply). */
export function dataSource(flags: DataFlags): DataSourceOptions {
  return {
    ...(flags.dataset !== undefined ? { dataset: flags.dataset } : {}),
    ...(flags.dataDir !== undefined ? { dataDir: flags.dataDir } : {}),
    ...(flags.mirror !== undefined ? { mirror: flags.mirror } : {}),
    ...(flags.cacheDir !== undefined ? { cacheDir: flags.cacheDir } : {}),
    ...(flags.timeout !== undefined ? { timeoutMs: Math.max(1, Math.round(flags.timeout * 1000)) } : {}),
    ...(flags.retries !== undefined ? { retries: flags.retries } : {}),
  }
}
