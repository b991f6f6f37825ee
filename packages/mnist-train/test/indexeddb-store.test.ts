import { describe, expect, it } from 'vitest'
import { CheckpointError, CheckpointWriteError, IndexedDbCheckpointStore, train } from '../src/browser'
import { SMALL_FLAT_MODEL, subset } from './helpers'

// IndexedDbCheckpointStore against a small fake IDBFactory (Node has no IndexedDB): enough of the API for the store's
// open / one-request transactions, with switches for a blocked open and a failing transaction.

interface FakeOptions {
  /** The open fires `blocked`, then (later) `success` anyway, as a browser does once the other connection closes. */
  blocked?: boolean
  /** Every transaction aborts with this error. */
  failWith?: Error
}

interface Fake {
  factory: IDBFactory
  records: Map<unknown, unknown>
  /** Connections opened / closed. */
  opened: number
  closed: number
}

const later = (f: () => void): void => void setTimeout(f, 0)

function fakeIndexedDb(options: FakeOptions = {}): Fake {
  const records = new Map<unknown, unknown>()
  const fake: Fake = { factory: undefined as unknown as IDBFactory, records, opened: 0, closed: 0 }
  const stores = new Set<string>()
  const db = {
    objectStoreNames: { contains: (name: string) => stores.has(name) },
    createObjectStore: (name: string) => stores.add(name),
    close: () => void fake.closed++,
    transaction: () => {
      const tx: Record<string, unknown> = { error: null }
      const request = (run: () => unknown): Record<string, unknown> => {
        const req: Record<string, unknown> = { result: undefined, error: null }
        later(() => {
          if (options.failWith !== undefined) {
            tx.error = options.failWith
            ;(tx.onabort as () => void)()
            return
          }
          req.result = run()
          ;(tx.oncomplete as () => void)()
        })
        return req
      }
      tx.objectStore = () => ({
        put: (value: unknown, key: unknown) => request(() => void records.set(key, structuredClone(value))),
        get: (key: unknown) => request(() => structuredClone(records.get(key))),
        delete: (key: unknown) => request(() => void records.delete(key)),
      })
      return tx
    },
  }
  fake.factory = {
    open: () => {
      const req: Record<string, unknown> = { result: undefined, error: null }
      later(() => {
        if (options.blocked === true) (req.onblocked as () => void)()
        later(() => {
          fake.opened++
          req.result = db
          if (stores.size === 0) (req.onupgradeneeded as () => void)()
          ;(req.onsuccess as () => void)()
        })
      })
      return req
    },
  } as unknown as IDBFactory
  return fake
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 20))

describe('IndexedDbCheckpointStore', () => {
  it('saves a run’s checkpoint and loads it back; refuses a record whose model.json is null', async () => {
    const fake = fakeIndexedDb()
    const store = new IndexedDbCheckpointStore('run', { indexedDB: fake.factory })
    const data = await subset(64, 32)
    await train({
      backend: 'cpu',
      data,
      checkpoints: store,
      config: { model: SMALL_FLAT_MODEL, batchSize: 32, epochs: 1 },
    })
    expect((await store.load())?.state).toMatchObject({ complete: true, position: { epoch: 1, step: 2 } })
    expect(fake.closed).toBe(fake.opened)

    const record = fake.records.get('run') as Record<string, unknown>
    fake.records.set('run', { ...record, modelJson: null })
    await expect(store.load()).rejects.toThrow(/record is incomplete/)
  })

  it('fails a blocked open with a CheckpointError and closes the connection that opens afterwards', async () => {
    const fake = fakeIndexedDb({ blocked: true })
    const store = new IndexedDbCheckpointStore('run', { indexedDB: fake.factory })
    const error = await store.load().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CheckpointError)
    expect(error).toMatchObject({ code: 'TRAIN_CHECKPOINT_INVALID' })
    expect((error as Error).message).toMatch(/blocked by another tab\/connection/)
    await settle()
    expect(fake.opened).toBe(1)
    expect(fake.closed).toBe(1)
  })

  it('wraps a failed clear() in a CheckpointWriteError', async () => {
    const failWith = new Error('QuotaExceededError')
    const store = new IndexedDbCheckpointStore('run', { indexedDB: fakeIndexedDb({ failWith }).factory })
    const error = await store.clear().catch((e: unknown) => e)
    expect(error).toBeInstanceOf(CheckpointWriteError)
    expect(error).toMatchObject({ code: 'TRAIN_CHECKPOINT_WRITE_FAILED', cause: failWith })
  })
})
