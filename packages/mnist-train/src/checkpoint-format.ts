import type { AdamWState } from './adamw'
import type { BackendName } from '@mnist/backends'
import type { TrainConfig } from './config'
import { CheckpointError } from './errors'

// The checkpoint's files and the shape of its training.json.

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
  /** Test images evaluated (the first `testCount`; with `validation`, of the held-out training images). */
  testCount: number
  /** The last `validation` training images were held out and evaluated instead of the test set. Absent: 0. */
  validation?: number
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
  /** Threads requested for the simd / wasm backends (undefined: the default, all cores). Absent before 0.1. */
  threads?: number | null
  /** The step engine that trained (resume uses the same). Absent before 0.1 (then in metadata.json only). */
  stepEngine?: 'fused' | 'tfjs'
  /** Size and SHA-256 of every other file of the checkpoint (written by the commit protocol). Absent before 0.1. */
  files?: CheckpointFiles
  /** SHA-256 of this JSON without the field itself: a hand-edited training.json is refused. Absent before 0.1. */
  checksum?: string
}

/** File name -> size and SHA-256, as the commit record lists the files of its checkpoint. */
export type CheckpointFiles = Record<string, { bytes: number; sha256: string }>

export interface LoadedCheckpoint {
  state: CheckpointState
  optimizer: AdamWState
}

/** Adam's moments as `optimizer.bin` stores them. */
export function encodeMoments(state: AdamWState): Uint8Array {
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

/** Adam's moments from `optimizer.bin`, checked against the sizes `training.json` lists. */
/** The size of optimizer.bin that `meta` describes: m and v of every slot, float32. */
export function momentsBytes(meta: CheckpointState['optimizer']): number {
  const size = (shape: unknown): number =>
    Array.isArray(shape) ? shape.reduce((a: number, b: unknown) => a * Number(b), 1) : Number.NaN
  return meta.slots.map((s) => size(s?.shape)).reduce((a, b) => a + 2 * b, 0) * 4
}

export function decodeMoments(file: string, meta: CheckpointState['optimizer'], bytes: Uint8Array): AdamWState {
  const sizes = meta.slots.map((s) => s.shape.reduce((a, b) => a * b, 1))
  const expected = momentsBytes(meta)
  if (bytes.byteLength !== expected) {
    const found = bytes.byteLength
    throw new CheckpointError(file, `expected ${expected} bytes for ${meta.slots.length} variables, found ${found}`)
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
