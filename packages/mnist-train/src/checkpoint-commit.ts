import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { saveModel, type ModelMetadata } from '@mnist/model'
import type { AdamWState } from './adamw'
import { crashPoints } from './crash-point'
import { CheckpointError, CheckpointWriteError } from './errors'
import { readRegularFile } from './checkpoint-read'
import { sealState } from './checkpoint-state'
import {
  encodeMoments,
  OPTIMIZER_FILE,
  TRAINING_STATE_FILE,
  type CheckpointFiles,
  type CheckpointState,
} from './checkpoint-format'

// The checkpoint protocol. A checkpoint folder X holds model.json, weights.bin, metadata.json, optimizer.bin and
// training.json (the commit record: sizes and SHA-256 of the other files, and a checksum of its own content).
//   1. stage: write every file into X/.pending-<pid>-<random>/, fsync each file and the staging folder;
//   2. commit: rename the staging folder to X/.commit (atomic), fsync X;
//   3. apply: rename each file of X/.commit over X's own (training.json last), fsync X, remove X/.commit.
// A kill before 2 leaves X's previous checkpoint whole (the staging folder is garbage); a kill after 2 leaves a
// complete new checkpoint in X/.commit, which `recoverCheckpoint` (run by every read and write of X) moves into
// place. So at any instant X holds one whole checkpoint, the previous or the new one, under its own name.
// Recovery leaves alone what a live writer is still doing: a staging folder whose pid (in its name) runs, and a
// commit whose writer (its pid in .commit/.writer-pid, written while staging) runs. A commit without that file (written
// by an older version) is applied as before.

const STAGING_PREFIX = '.pending-'
const COMMIT_DIR = '.commit'
/** Inside the staging folder (so inside .commit): the writer's pid. Not a checkpoint file: never moved into X. */
const WRITER_FILE = '.writer-pid'
/** Staging folders and commits this process is writing now (its own pid in them means alive only for these). */
const inProgress = new Set<string>()

export interface CheckpointParts {
  model: LayersModel
  metadata: ModelMetadata
  state: CheckpointState
  optimizer: AdamWState
}

/**
 * Writes a checkpoint into `dir` (created if missing) by the protocol above. On failure before the commit the staging
 * folder is removed and `dir`'s previous checkpoint is left as it was; after it, the new one is already durable.
 */
export async function writeCheckpoint(dir: string, parts: CheckpointParts): Promise<void> {
  const crash = crashPoints()
  const staging = path.join(dir, `${STAGING_PREFIX}${process.pid}-${randomBytes(4).toString('hex')}`)
  const commit = path.join(dir, COMMIT_DIR)
  inProgress.add(staging)
  try {
    await stage(dir, staging, parts, crash)
  } finally {
    inProgress.delete(staging)
  }
  inProgress.add(commit)
  try {
    await fs.rename(staging, commit)
    await syncDir(dir)
    crash('committed')
    await applyCommit(dir, crash)
  } catch (cause) {
    throw new CheckpointWriteError(dir, { cause })
  } finally {
    inProgress.delete(commit)
  }
}

/** Step 1: every file into the staging folder, synced; on failure the staging folder is removed. */
async function stage(
  dir: string,
  staging: string,
  parts: CheckpointParts,
  crash: (step: string) => void,
): Promise<void> {
  try {
    await fs.mkdir(dir, { recursive: true })
    await recoverCheckpoint(dir)
    await saveModel(parts.model, staging, parts.metadata)
    crash('model staged')
    await writeSynced(path.join(staging, OPTIMIZER_FILE), encodeMoments(parts.optimizer))
    crash('optimizer staged')
    const files = await syncAndDescribe(staging)
    crash('files synced')
    const state = sealState({ ...parts.state, files })
    await writeSynced(path.join(staging, TRAINING_STATE_FILE), `${JSON.stringify(state, null, 2)}\n`)
    await writeSynced(path.join(staging, WRITER_FILE), `${process.pid}\n`)
    await syncDir(staging)
    crash('commit record staged')
  } catch (cause) {
    await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined)
    throw new CheckpointWriteError(dir, { cause })
  }
}

/**
 * Brings `dir` to one whole checkpoint after a write was interrupted: finishes a committed write (X/.commit), removes
 * unfinished staging folders (both only when their writer no longer runs: see `writerAlive`), and finishes a folder
 * swap left half done by the protocol of @mnist/train 0.x (X renamed to `.X.old-*` and `.X.tmp-*` not yet renamed to
 * X).
 */
export async function recoverCheckpoint(dir: string): Promise<void> {
  await recoverLegacySwap(dir)
  let entries: string[]
  try {
    entries = await fs.readdir(dir)
  } catch {
    return // no folder: nothing to recover (the reader reports what is missing)
  }
  try {
    if (entries.includes(COMMIT_DIR) && !(await commitWriterAlive(dir))) await applyCommit(dir, () => undefined)
    for (const name of entries.filter((e) => e.startsWith(STAGING_PREFIX))) {
      const staging = path.join(dir, name)
      const pid = Number(/^\.pending-(\d+)-/.exec(name)?.[1])
      if (await writerAlive(staging, pid, staging)) continue
      await fs.rm(staging, { recursive: true, force: true })
    }
  } catch (cause) {
    throw new CheckpointError(dir, 'an interrupted checkpoint write could not be finished', { cause })
  }
}

/** Whether the process that wrote X/.commit still runs (then it is applying it now). False for the old format. */
async function commitWriterAlive(dir: string): Promise<boolean> {
  const commit = path.join(dir, COMMIT_DIR)
  let text: string
  try {
    text = (await readRegularFile(path.join(commit, WRITER_FILE), 32)).toString('utf8')
  } catch {
    return false // written before the writer's pid was recorded, or its apply got past removing it
  }
  return writerAlive(commit, Number(text.trim()), path.join(commit, WRITER_FILE))
}

/** A pid in a leftover older than this is not trusted (pids are reused): a write takes seconds, not minutes. */
const STALE_MS = 15 * 60_000

/**
 * Whether the writer of `entry` (pid `pid`, written at the mtime of `stamp`) may still be writing it. This process
 * only for its own writes in progress (a restarted container reuses its old pid); another process while it runs
 * (`kill(pid, 0)`: EPERM means it runs as another user) and the entry is not older than `STALE_MS`.
 */
async function writerAlive(entry: string, pid: number, stamp: string): Promise<boolean> {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false
  if (pid === process.pid) return inProgress.has(entry)
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }
  try {
    return Date.now() - (await fs.stat(stamp)).mtimeMs < STALE_MS
  } catch {
    return false
  }
}

/**
 * Moves the committed files into place, the commit record last, then removes the writer's pid and the empty commit
 * folder.
 */
async function applyCommit(dir: string, crash: (step: string) => void): Promise<void> {
  const commit = path.join(dir, COMMIT_DIR)
  const names = (await fs.readdir(commit))
    .filter((n) => n !== WRITER_FILE)
    .sort((a, b) => Number(a === TRAINING_STATE_FILE) - Number(b === TRAINING_STATE_FILE) || a.localeCompare(b))
  for (const name of names) {
    await fs.rename(path.join(commit, name), path.join(dir, name))
    crash(`moved ${name}`)
  }
  await syncDir(dir)
  crash('applied')
  await fs.rm(path.join(commit, WRITER_FILE), { force: true })
  await fs.rmdir(commit)
  await syncDir(dir)
}

/** fsyncs every file of the staging folder and returns its size and SHA-256 (for the commit record). */
async function syncAndDescribe(staging: string): Promise<CheckpointFiles> {
  const files: CheckpointFiles = {}
  for (const name of (await fs.readdir(staging)).sort()) {
    const file = path.join(staging, name)
    const handle = await fs.open(file, 'r+')
    try {
      const bytes = await handle.readFile()
      await handle.sync()
      files[name] = { bytes: bytes.byteLength, sha256: createHash('sha256').update(bytes).digest('hex') }
    } finally {
      await handle.close()
    }
  }
  return files
}

async function writeSynced(file: string, data: Uint8Array | string): Promise<void> {
  const handle = await fs.open(file, 'w')
  try {
    await handle.writeFile(data)
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/** fsync of a folder, so that the renames in it survive a power cut. Windows cannot open folders: skipped there. */
async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return
  const handle = await fs.open(dir, 'r')
  try {
    await handle.sync()
  } finally {
    await handle.close()
  }
}

/**
 * The 0.x protocol: rename X to `.X.old-<tag>`, then `.X.tmp-<tag>` to X. A kill in between left no X; a kill while
 * writing left a partial `.X.tmp-<tag>` beside a whole X. Either way the leftovers are hidden siblings of X.
 */
async function recoverLegacySwap(dir: string): Promise<void> {
  const parent = path.dirname(path.resolve(dir))
  const name = path.basename(path.resolve(dir))
  let siblings: string[]
  try {
    siblings = (await fs.readdir(parent)).filter((s) => s.startsWith(`.${name}.tmp-`) || s.startsWith(`.${name}.old-`))
  } catch {
    return
  }
  if (siblings.length === 0) return
  if (!(await exists(dir))) {
    // The temporary folder was renamed only once complete, and X moved away only after that: a tmp beside a missing X
    // is the newer whole checkpoint; without one, the old folder is the last whole checkpoint.
    const tmp = siblings.find((s) => s.startsWith(`.${name}.tmp-`))
    const old = siblings.find((s) => s.startsWith(`.${name}.old-`))
    const pick = tmp !== undefined && (await exists(path.join(parent, tmp, TRAINING_STATE_FILE))) ? tmp : old
    if (pick === undefined) return
    await fs.rename(path.join(parent, pick), dir)
    siblings = siblings.filter((s) => s !== pick)
  }
  for (const s of siblings) await fs.rm(path.join(parent, s), { recursive: true, force: true })
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.stat(p)
    return true
  } catch {
    return false
  }
}
