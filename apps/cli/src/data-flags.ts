import type { DatasetName } from '@mnist/data'
import { Option, type Command } from 'commander'

/** The four flags that say where a dataset comes from, as commander parses them. */
export interface DataFlags {
  dataset?: DatasetName
  dataDir?: string
  mirror?: string
  cacheDir?: string
}

const DATASETS: DatasetName[] = ['mnist', 'fashion-mnist', 'custom']

/**
 * Adds `--dataset`, `--data-dir`, `--mirror` and `--cache-dir`, with one help text each for every command. `--dataset`
 * has no commander default: `train --resume` takes the dataset from the checkpoint; the others use `datasetOf`.
 */
export function addDataOptions(command: Command): Command {
  return command
    .addOption(new Option('--dataset <name>', 'which dataset (default: mnist)').choices(DATASETS))
    .addOption(
      new Option('--data-dir <dir>', 'read the four files from this folder, .gz or raw (default: $MNIST_DATA_DIR)')
        .conflicts('mirror'),
    )
    .addOption(
      new Option('--mirror <url>', 'download from this base URL (default: $MNIST_MIRROR, then built-in mirrors)'),
    )
    .addOption(
      new Option('--cache-dir <dir>', 'download cache (default: $MNIST_CACHE_DIR, then the platform cache folder)'),
    )
}

/** The dataset asked for, `mnist` when none was. */
export function datasetOf(flags: DataFlags): DatasetName {
  return flags.dataset ?? 'mnist'
}

/** The data flags given, as `loadMnist` / `train` options (flags not given are left out, so defaults apply). */
export function dataSource(flags: DataFlags): DataFlags {
  return {
    ...(flags.dataset !== undefined ? { dataset: flags.dataset } : {}),
    ...(flags.dataDir !== undefined ? { dataDir: flags.dataDir } : {}),
    ...(flags.mirror !== undefined ? { mirror: flags.mirror } : {}),
    ...(flags.cacheDir !== undefined ? { cacheDir: flags.cacheDir } : {}),
  }
}
