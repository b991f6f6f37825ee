import type { io } from '@tensorflow/tfjs-core'
import { loadModel, modelToArtifacts } from '@mnist/model'
import type { AdamWState } from './adamw'
import { checkpointInconsistency } from './checkpoint-consistency'
import { CHECKPOINT_FORMAT, type CheckpointState } from './checkpoint-format'
import type { CheckpointStore, CheckpointToSave, StoredCheckpoint } from './checkpoint-store'
import { CheckpointError, CheckpointWriteError } from './errors'

export interface IndexedDbCheckpointStoreOptions {
  /** The IndexedDB database (default `'mnist-train'`); its object store `checkpoints` holds one record per name. */
  database?: string
  /** The `IDBFactory` to use (default `globalThis.indexedDB`). */
  indexedDB?: IDBFactory
}

/** One checkpoint as IndexedDB keeps it (structured clone: typed arrays and ArrayBuffers are stored as such). */
interface CheckpointRecord {
  format: typeof CHECKPOINT_FORMAT
  modelJson: io.ModelJSON
  weights: ArrayBuffer
  state: CheckpointState
  optimizer: AdamWState
}

const OBJECT_STORE = 'checkpoints'

/**
 * Keeps the last checkpoint of a run in the browser's IndexedDB under `name`, so that a run stopped by a closed tab or
 * a reload can be resumed: `train({ checkpoints: store, resume: store })`. Each save is one `put` in one transaction,
 * which IndexedDB applies whole or not at all: the record is the previous checkpoint or the new one, never a mix.
 */
export class IndexedDbCheckpointStore implements CheckpointStore {
  readonly location: string
  private readonly factory: IDBFactory
  private readonly database: string

  constructor(
    readonly name: string,
    options: IndexedDbCheckpointStoreOptions = {},
  ) {
    this.database = options.database ?? 'mnist-train'
    this.location = `indexeddb://${this.database}/${name}`
    const factory = options.indexedDB ?? (globalThis as { indexedDB?: IDBFactory }).indexedDB
    if (factory === undefined) throw new CheckpointError(this.location, 'IndexedDB is not available in this runtime')
    this.factory = factory
  }

  async save(checkpoint: CheckpointToSave): Promise<void> {
    const { modelJson, weights } = await modelToArtifacts(checkpoint.model, checkpoint.metadata)
    const record: CheckpointRecord = {
      format: CHECKPOINT_FORMAT,
      modelJson,
      weights,
      state: checkpoint.state,
      optimizer: checkpoint.optimizer,
    }
    try {
      await this.transact('readwrite', (store) => store.put(record, this.name))
    } catch (cause) {
      throw new CheckpointWriteError(this.location, { cause })
    }
  }

  async load(): Promise<StoredCheckpoint | undefined> {
    let record: unknown
    try {
      record = await this.transact('readonly', (store) => store.get(this.name))
    } catch (cause) {
      if (cause instanceof CheckpointError) throw cause
      throw new CheckpointError(this.location, 'could not be read', { cause })
    }
    if (record === undefined) return undefined
    const { modelJson, weights, state, optimizer } = checkRecord(this.location, record)
    return { state, optimizer, loadModel: async () => (await loadModel({ modelJson, weights })).model }
  }

  /** Deletes the checkpoint (the database stays). */
  async clear(): Promise<void> {
    try {
      await this.transact('readwrite', (store) => store.delete(this.name))
    } catch (cause) {
      throw new CheckpointWriteError(this.location, { cause })
    }
  }

  /** Runs one request in its own transaction; resolves with its result once the transaction has committed. */
  private async transact<T>(mode: IDBTransactionMode, request: (store: IDBObjectStore) => IDBRequest<T>): Promise<T> {
    const db = await this.open()
    try {
      return await new Promise<T>((resolve, reject) => {
        const tx = db.transaction(OBJECT_STORE, mode)
        const req = request(tx.objectStore(OBJECT_STORE))
        tx.oncomplete = () => resolve(req.result)
        tx.onerror = () => reject(tx.error ?? req.error)
        tx.onabort = () => reject(tx.error ?? req.error)
      })
    } finally {
      db.close()
    }
  }

  /**
   * Opens the database. A blocked open (another tab or connection holds an older version open) fails at once rather
   * than hang; if the open succeeds after that, the connection is closed, since nobody is left to use or close it.
   */
  private open(): Promise<IDBDatabase> {
    return new Promise((resolve, reject) => {
      let settled = false
      const req = this.factory.open(this.database, 1)
      req.onupgradeneeded = () => {
        if (!req.result.objectStoreNames.contains(OBJECT_STORE)) req.result.createObjectStore(OBJECT_STORE)
      }
      req.onsuccess = () => {
        if (settled) req.result.close()
        else resolve(req.result)
        settled = true
      }
      req.onerror = () => {
        settled = true
        reject(req.error)
      }
      req.onblocked = () => {
        settled = true
        reject(new CheckpointError(this.location, 'the database is blocked by another tab/connection'))
      }
    })
  }
}

/** The record, checked: this package's format, a consistent state, moments of the sizes the state lists. */
function checkRecord(location: string, value: unknown): CheckpointRecord {
  const record = value as Partial<CheckpointRecord> | null
  if (record === null || typeof record !== 'object' || record.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError(location, `expected a checkpoint of format "${CHECKPOINT_FORMAT}"`)
  }
  const { state, optimizer, weights, modelJson } = record
  if (state?.format !== CHECKPOINT_FORMAT || !(weights instanceof ArrayBuffer) || !isObject(modelJson)) {
    throw new CheckpointError(location, 'the record is incomplete (state, model or weights missing)')
  }
  const problem = wellFormed(state) ? checkpointInconsistency(state) : 'position or optimizer fields are malformed'
  if (problem !== undefined) throw new CheckpointError(location, `is inconsistent (${problem})`)
  const sizes = state.optimizer.slots.map((s) => s.shape.reduce((a, b) => a * b, 1))
  const momentsMatch =
    optimizer?.step === state.optimizer.step &&
    optimizer.slots?.length === sizes.length &&
    optimizer.slots.every((s, i) => s.m?.length === sizes[i] && s.v?.length === sizes[i])
  if (!momentsMatch) throw new CheckpointError(location, 'its optimizer moments do not match its state')
  return record as CheckpointRecord
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null
}

function wellFormed(state: CheckpointState): boolean {
  const p = state.position
  return (
    p !== undefined &&
    [p.epoch, p.batch, p.step].every((n) => Number.isSafeInteger(n) && n >= 0) &&
    Array.isArray(state.optimizer?.slots)
  )
}
