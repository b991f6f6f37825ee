import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { saveModel, type ModelMetadata } from '@mnist/model'
import type { AdamWState } from './adamw'
import { crashPoints } from './crash-point'
import { CheckpointError, CheckpointWriteError } from './errors'
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

const STAGING_PREFIX = '.pending-'
const COMMIT_DIR = '.commit'

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
    await syncDir(staging)
    crash('commit record staged')
  } catch (cause) {
    await fs.rm(staging, { recursive: true, force: true }).catch(() => undefined)
    throw new CheckpointWriteError(dir, { cause })
  }
  try {
    await fs.rename(staging, path.join(dir, COMMIT_DIR))
    await syncDir(dir)
    crash('committed')
    await applyCommit(dir, crash)
  } catch (cause) {
    throw new CheckpointWriteError(dir, { cause })
  }
}

/**
 * Brings `dir` to one whole checkpoint after a write was interrupted: finishes a committed write (X/.commit), removes
 * unfinished staging folders, and finishes a folder swap left half done by the protocol of @mnist/train 0.x
 * (X renamed to `.X.old-*` and `.X.tmp-*` not yet renamed to X).
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
    if (entries.includes(COMMIT_DIR)) await applyCommit(dir, () => undefined)
    for (const name of entries.filter((e) => e.startsWith(STAGING_PREFIX))) {
      await fs.rm(path.join(dir, name), { recursive: true, force: true })
    }
  } catch (cause) {
    throw new CheckpointError(dir, 'an interrupted checkpoint write could not be finished', { cause })
  }
}

/** Moves the committed files into place, the commit record last, then removes the empty commit folder. */
async function applyCommit(dir: string, crash: (step: string) => void): Promise<void> {
  const commit = path.join(dir, COMMIT_DIR)
  const names = (await fs.readdir(commit)).sort(
    (a, b) => Number(a === TRAINING_STATE_FILE) - Number(b === TRAINING_STATE_FILE) || a.localeCompare(b),
  )
  for (const name of names) {
    await fs.rename(path.join(commit, name), path.join(dir, name))
    crash(`moved ${name}`)
  }
  await syncDir(dir)
  crash('applied')
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
