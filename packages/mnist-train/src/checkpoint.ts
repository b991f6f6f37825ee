import { randomBytes } from 'node:crypto'
import { existsSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { saveModel, type ModelMetadata } from '@mnist/model'
import type { AdamWState } from './adamw'
import type { BackendName } from '@mnist/backends'
import type { TrainConfig } from './config'
import { CheckpointError, CheckpointWriteError } from './errors'

/** What `training.json` holds beside the model files. */
export const TRAINING_STATE_FILE = 'training.json'
/** Adam's moments: for each variable in order, m then v, little-endian float32. */
export const OPTIMIZER_FILE = 'optimizer.bin'
export const CHECKPOINT_FORMAT = 'mnist-train-checkpoint/1'

/** Where a run stands: what to do next. */
export interface TrainingPosition {
  /** 0-based epoch the next step belongs to (= epochs when the run is complete). */
  epoch: number
  /** 0-based batch of that epoch the next step trains on. */
  batch: number
  /** Optimiser steps done so far in the whole run. */
  step: number
}

/** One finished epoch. */
export interface EpochSummary {
  /** 1-based. */
  epoch: number
  /** Mean training loss over the epoch (weights changing as it went). */
  trainLoss: number
  /** Running training accuracy over the epoch, a fraction. */
  trainAccuracy: number
  testLoss: number
  /** Test accuracy after the epoch, a fraction. */
  testAccuracy: number
  /** Seconds spent on the epoch's training steps (evaluation excluded). */
  trainSeconds: number
  /** Seconds spent on evaluation. */
  evalSeconds: number
}

/** The `training.json` of a checkpoint: everything besides weights and moments that resume needs. */
export interface CheckpointState {
  format: typeof CHECKPOINT_FORMAT
  /** All epochs done (a finished run) or not (an interrupted one, resumable). */
  complete: boolean
  backend: BackendName
  tfBackend: string
  device: string
  config: TrainConfig
  dataset: string
  /** Training images used (the first `trainCount` of the split). */
  trainCount: number
  /** Test images evaluated (the first `testCount`). */
  testCount: number
  /** 32-bit FNV-1a of the training images and labels used, so resume refuses different data. */
  dataFingerprint: string
  batchesPerEpoch: number
  totalSteps: number
  position: TrainingPosition
  /** Sums of the unfinished epoch, so its running loss and accuracy continue where they were. */
  epochProgress: { lossSum: number; correct: number; seen: number; trainSeconds: number }
  history: EpochSummary[]
  params: number
  /** Seconds of training steps and of the whole run (training, evaluation, saving), summed over resumes. */
  seconds: { train: number; total: number }
  testAccuracy?: number
  testLoss?: number
  optimizer: {
    step: number
    slots: { name: string; shape: number[] }[]
  }
  startedAt: string
  savedAt: string
  /** The checkpoint this run continued, if any. */
  resumedFrom?: string
}

export interface LoadedCheckpoint {
  state: CheckpointState
  optimizer: AdamWState
}

/**
 * Write model (via @mnist/model's `saveModel`), optimiser moments and `training.json` into a fresh temporary folder
 * beside `dir`, then rename it to `dir`. An existing `dir` (this run's previous checkpoint) is replaced only once
 * the new one is complete; on any failure the temporary folder is removed and the old checkpoint is left as it was.
 */
export async function writeCheckpoint(
  dir: string,
  parts: { model: LayersModel; metadata: ModelMetadata; state: CheckpointState; optimizer: AdamWState },
): Promise<void> {
  const parent = path.dirname(path.resolve(dir))
  const name = path.basename(path.resolve(dir))
  const tag = `${process.pid}-${randomBytes(4).toString('hex')}`
  const tmp = path.join(parent, `.${name}.tmp-${tag}`)
  const old = path.join(parent, `.${name}.old-${tag}`)
  try {
    await fs.mkdir(parent, { recursive: true })
    await saveModel(parts.model, tmp, parts.metadata)
    await fs.writeFile(path.join(tmp, OPTIMIZER_FILE), encodeMoments(parts.optimizer))
    await fs.writeFile(path.join(tmp, TRAINING_STATE_FILE), `${JSON.stringify(parts.state, null, 2)}\n`)
  } catch (cause) {
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined)
    throw new CheckpointWriteError(dir, { cause })
  }
  let movedOld = false
  try {
    if (existsSync(dir)) {
      await fs.rename(dir, old)
      movedOld = true
    }
    await fs.rename(tmp, dir)
  } catch (cause) {
    if (movedOld) await fs.rename(old, dir).catch(() => undefined)
    await fs.rm(tmp, { recursive: true, force: true }).catch(() => undefined)
    throw new CheckpointWriteError(dir, { cause })
  }
  if (movedOld) await fs.rm(old, { recursive: true, force: true }).catch(() => undefined)
}

/** Read and check `training.json` and `optimizer.bin` of a checkpoint folder (the model is read by `loadModel`). */
export async function readCheckpoint(dir: string): Promise<LoadedCheckpoint> {
  const statePath = path.join(dir, TRAINING_STATE_FILE)
  let text: string
  try {
    text = await fs.readFile(statePath, 'utf8')
  } catch (cause) {
    const missing = (cause as NodeJS.ErrnoException).code === 'ENOENT'
    throw new CheckpointError(
      statePath,
      missing ? 'not found: expected a checkpoint folder written by @mnist/train (model.json, optimizer.bin, training.json)' : 'could not be read',
      { cause },
    )
  }
  let state: CheckpointState
  try {
    state = JSON.parse(text) as CheckpointState
  } catch (cause) {
    throw new CheckpointError(statePath, 'is not valid JSON', { cause })
  }
  if (state === null || typeof state !== 'object' || state.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(statePath, `expected format "${CHECKPOINT_FORMAT}", found ${JSON.stringify((state as { format?: unknown } | null)?.format)}`)
  }
  const p = state.position
  if (!p || ![p.epoch, p.batch, p.step].every((n) => Number.isSafeInteger(n) && n >= 0) || !Array.isArray(state.optimizer?.slots)) {
    throw new CheckpointError(statePath, 'position or optimizer fields are missing or malformed')
  }
  const binPath = path.join(dir, OPTIMIZER_FILE)
  let bytes: Buffer
  try {
    bytes = await fs.readFile(binPath)
  } catch (cause) {
    throw new CheckpointError(binPath, 'could not be read (the optimiser state of the checkpoint)', { cause })
  }
  return { state, optimizer: decodeMoments(binPath, state.optimizer, bytes) }
}

function encodeMoments(state: AdamWState): Uint8Array {
  const total = state.slots.reduce((n, s) => n + 2 * s.m.length, 0)
  const all = new Float32Array(total)
  let o = 0
  for (const slot of state.slots) {
    all.set(slot.m, o)
    o += slot.m.length
    all.set(slot.v, o)
    o += slot.v.length
  }
  // Float32Array is little-endian on every platform Node runs on.
  return new Uint8Array(all.buffer)
}

function decodeMoments(file: string, meta: CheckpointState['optimizer'], bytes: Buffer): AdamWState {
  const sizes = meta.slots.map((s) => s.shape.reduce((a, b) => a * b, 1))
  const expected = sizes.reduce((a, b) => a + 2 * b, 0) * 4
  if (bytes.byteLength !== expected) {
    throw new CheckpointError(file, `expected ${expected} bytes for ${meta.slots.length} variables, found ${bytes.byteLength}`)
  }
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength))
  let o = 0
  const slots = meta.slots.map((slot, i) => {
    const n = sizes[i]!
    const m = all.slice(o, o + n)
    o += n
    const v = all.slice(o, o + n)
    o += n
    return { name: slot.name, shape: [...slot.shape], m, v }
  })
  return { step: meta.step, slots }
}

/** 32-bit FNV-1a over byte arrays, as 8 hex digits. */
export function fingerprint(...arrays: Uint8Array[]): string {
  let h = 0x811c9dc5
  for (const bytes of arrays) {
    for (let i = 0; i < bytes.length; i++) {
      h ^= bytes[i]!
      h = Math.imul(h, 0x01000193)
    }
  }
  return (h >>> 0).toString(16).padStart(8, '0')
}
