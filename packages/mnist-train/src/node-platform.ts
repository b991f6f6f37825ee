import path from 'node:path'
import { loadMnist } from '@mnist/data'
import { FileCheckpointStore } from './file-store'
import type { TrainOptions } from './options'
import type { TrainPlatform } from './platform'
import { createRunDir, defaultOutDir, removeUnusedRunDir } from './run-dir'

/** Node: data from `loadMnist` (data folder, cache, mirrors), checkpoints in run folders on disk. */
export const nodePlatform: TrainPlatform = {
  folderStore: (dir) => ({ store: new FileCheckpointStore(dir), recordedAs: path.resolve(dir) }),

  loadSplits: (options, dataset) =>
    loadMnist({
      dataset: options.dataset ?? dataset,
      dataDir: options.dataDir,
      mirror: options.mirror,
      cacheDir: options.cacheDir,
      timeoutMs: options.timeoutMs,
      retries: options.retries,
      onProgress: options.onDataProgress,
      signal: options.signal,
    }),

  // Created exclusively: a concurrent run cannot take the same folder. Removed again when no checkpoint went in.
  async runStore(options, backend) {
    const dir = await createRunDir(outDirOf(options), backend, new Date())
    return {
      store: new FileCheckpointStore(dir),
      close: async (saved) => {
        if (!saved) await removeUnusedRunDir(dir)
      },
    }
  },
}

/** The parent of the run folder: `outDir`, else the resumed checkpoint folder's parent, else the default. */
function outDirOf(options: TrainOptions): string {
  if (options.outDir !== undefined) return options.outDir
  return typeof options.resume === 'string' ? path.dirname(path.resolve(options.resume)) : defaultOutDir()
}
