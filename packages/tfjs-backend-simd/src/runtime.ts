import { SimdBackendError, WasmLoadError } from './errors'
import {
  checkBuild,
  getThreadsCount,
  isNode,
  MAX_THREADS,
  loadNodeOs,
  onThreadsCountChange,
  setNodeV8Flag,
  simdFeatures,
  type SimdBuild,
} from './flags'
import { Heap, MAX_PAGES } from './heap'
import { wasmBytes } from './wasm-bytes'

import type { WasmExports } from './_wasm-exports'

export type { WasmExports }
/** The kernels among the exports (of assembly/index.ts; pointers are byte offsets into the shared memory). */
export type KernelName = Exclude<keyof WasmExports, 'heap_base'>
/** The arguments of one call of kernel K, as asc's --bindings typings declare them. */
export type KernelArgs<K extends KernelName> = Readonly<Parameters<WasmExports[K]>>
type WasmFn = (...args: number[]) => void

export interface SimdBackendOptions {
  /** Which build to load; default: the best one the runtime validates (see simdFeatures()). */
  build?: SimdBuild
  /** false = never use shared memory / workers (tensors are then copied in and out of wasm per kernel). */
  sharedMemory?: boolean
  /**
   * Load the wasm builds from your own URLs (the package's `wasm-out/` files, exported as
   * `@mnist/backend-simd/wasm-out/*`) instead of the copies built into the package: `file` is e.g. `simd-shared.wasm`.
   * In Node a path or `file:` URL is read from disk.
   */
  wasmUrl?: (file: string) => string | URL
  /** Kernels with fewer floating-point operations than this run on one thread (default 400,000; 0 = always split). */
  parallelThreshold?: number
  /**
   * Node only, default true: compile the module with V8's optimising compiler up front (`--no-wasm-dynamic-tiering`,
   * set at run time before the compile) instead of starting in the baseline compiler and tiering up hot functions:
   * the first few hundred training steps were about 40 % slower until the tier-up. The flag applies to WebAssembly
   * modules compiled later in the process too (they compile more slowly, and run at full speed at once).
   */
  eagerCompile?: boolean
}

// Control words of the worker protocol (Int32Array over a SharedArrayBuffer).
const GEN = 0 // bumped by the main thread for every job
const DONE = 1 // workers that finished the current job
const FN = 2 // export index
const ACTIVE = 3 // workers taking part (tids 1..ACTIVE)
const ARGC = 4
const QUIT = 5
const FAILED = 6 // a worker's job threw (a trap): set by the worker, checked by the main thread
const READY_BASE = 8 // READY_BASE + tid: 1 once worker tid runs, tid < MAX_THREADS
const CTRL_INTS = READY_BASE + MAX_THREADS
const ARG_STRIDE = 32
/** How long an idle worker (and the main thread waiting for the workers) spins before it sleeps. */
const SPIN_MS = 0.25

/** Runs in each worker: instantiate the same module over the same memory, then serve jobs forever. */
const WORKER_MAIN = `
function serve(init) {
  const { module, memory, ctrlBuf, argsBuf, tid, names } = init;
  const inst = new WebAssembly.Instance(module, { env: { memory, abort() { throw new WebAssembly.RuntimeError('wasm abort'); } } });
  const fns = names.map((n) => inst.exports[n]);
  const ctrl = new Int32Array(ctrlBuf);
  const args = new Float64Array(argsBuf);
  let gen = Atomics.load(ctrl, ${GEN});
  Atomics.store(ctrl, ${READY_BASE} + tid, 1);
  Atomics.notify(ctrl, ${READY_BASE} + tid);
  for (;;) {
    // Spin up to ${SPIN_MS} ms before sleeping: the kernels of a training step come back within microseconds of
    // each other, and waking a sleeping thread costs tens of microseconds, which made a second thread barely pay off.
    // Not longer: on a machine where another process wants the core, spinning takes the time from it.
    const until = performance.now() + ${SPIN_MS};
    for (let i = 1; Atomics.load(ctrl, ${GEN}) === gen; i++) if ((i & 1023) === 0 && performance.now() > until) break;
    Atomics.wait(ctrl, ${GEN}, gen);
    const g = Atomics.load(ctrl, ${GEN});
    if (g === gen) continue;
    gen = g;
    if (Atomics.load(ctrl, ${QUIT})) return;
    if (tid > Atomics.load(ctrl, ${ACTIVE})) continue;
    const o = tid * ${ARG_STRIDE};
    const argc = ctrl[${ARGC}];
    const f = fns[ctrl[${FN}]];
    try {
      // Direct calls for the usual argument counts: a spread of a subarray allocates and takes V8's slow path.
      switch (argc) {
        case 5: f(args[o], args[o+1], args[o+2], args[o+3], args[o+4]); break;
        case 6: f(args[o], args[o+1], args[o+2], args[o+3], args[o+4], args[o+5]); break;
        case 7: f(args[o], args[o+1], args[o+2], args[o+3], args[o+4], args[o+5], args[o+6]); break;
        case 8: f(args[o], args[o+1], args[o+2], args[o+3], args[o+4], args[o+5], args[o+6], args[o+7]); break;
        case 9: f(args[o], args[o+1], args[o+2], args[o+3], args[o+4], args[o+5], args[o+6], args[o+7], args[o+8]); break;
        default: f(...args.subarray(o, o + argc));
      }
    } catch (e) {
      // Still acknowledge: the main thread is blocked waiting for DONE and cannot see worker 'error' events.
      Atomics.store(ctrl, ${FAILED}, 1);
    }
    Atomics.add(ctrl, ${DONE}, 1);
    Atomics.notify(ctrl, ${DONE});
  }
}
`
// Dynamic import works whether Node evaluates this as CommonJS or (parent run with --input-type=module) as ESM.
const NODE_WORKER = `${WORKER_MAIN}\nimport('node:worker_threads').then((m) => serve(m.workerData));`
const WEB_WORKER = `${WORKER_MAIN}\nself.onmessage = (e) => serve(e.data);`

// Node built-ins through variables: browser bundlers then leave these imports alone (they only run in Node).
const NODE_WORKERS = 'node:worker_threads'

interface WorkerHandle {
  terminate(): unknown
}

/** One instantiated build: exports, heap and (when shared memory exists) the worker pool. */
export class Runtime {
  readonly heap: Heap
  private readonly fnIndex = new Map<string, number>()
  private readonly names: string[]
  private readonly ctrl?: Int32Array
  private readonly args?: Float64Array
  private workers: (WorkerHandle | undefined)[] = [undefined]
  private disposed = false
  private readonly unsubscribe: () => void
  /** Browsers may not block the main thread: wait by spinning there. */
  private readonly canBlock = isNode
  parallelThreshold = 400_000
  /** run() calls so far: tests read it (src/_testing.ts) to see whether a kernel ran in wasm or fell back. */
  calls = 0

  private constructor(
    readonly build: SimdBuild,
    readonly module: WebAssembly.Module,
    readonly memory: WebAssembly.Memory,
    readonly exports: WasmExports,
    readonly shared: boolean,
  ) {
    this.heap = new Heap(memory, exports.heap_base(), shared)
    const byName = exports as unknown as Record<string, unknown>
    this.names = Object.keys(exports).filter((k) => typeof byName[k] === 'function')
    this.names.forEach((n, i) => this.fnIndex.set(n, i))
    if (shared) {
      this.ctrl = new Int32Array(new SharedArrayBuffer(CTRL_INTS * 4))
      // One ARG_STRIDE slot per thread id (0 = this thread, unused) up to the thread limit.
      this.args = new Float64Array(new SharedArrayBuffer(MAX_THREADS * ARG_STRIDE * 8))
    }
    this.unsubscribe = onThreadsCountChange((n) => void this.startWorkers(n))
  }

  static async create(opts: SimdBackendOptions = {}): Promise<Runtime> {
    await loadNodeOs()
    const features = simdFeatures()
    const build = checkBuild(opts.build ?? features.build)
    const shared = features.threads && opts.sharedMemory !== false
    const file = `${build}${shared ? '-shared' : ''}.wasm`
    const { bytes, source } = await wasmBytes(file, opts.wasmUrl)
    if (opts.eagerCompile !== false) setNodeV8Flag('--no-wasm-dynamic-tiering')
    let module: WebAssembly.Module
    let memory: WebAssembly.Memory
    let instance: WebAssembly.Instance
    try {
      module = await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>)
      memory = new WebAssembly.Memory({ initial: 256, maximum: MAX_PAGES, shared } as WebAssembly.MemoryDescriptor)
      instance = await WebAssembly.instantiate(module, {
        env: {
          memory,
          abort: () => {
            throw new SimdBackendError('SIMD_WASM_INSTANTIATE_FAILED', `${file} aborted`)
          },
        },
      })
    } catch (cause) {
      throw new WasmLoadError(source, `could not be compiled or instantiated: ${(cause as Error).message}`, {
        cause,
        code: 'SIMD_WASM_INSTANTIATE_FAILED',
      })
    }
    const rt = new Runtime(build, module, memory, instance.exports as unknown as WasmExports, shared)
    if (opts.parallelThreshold !== undefined) rt.parallelThreshold = opts.parallelThreshold
    await rt.startWorkers(getThreadsCount())
    return rt
  }

  /** Why workers could not start, if they could not: kernels then run on the calling thread only. */
  workerStartError: unknown

  /** resize(), falling back to single-threaded (instead of failing the backend) when workers cannot start. */
  async startWorkers(n: number): Promise<void> {
    try {
      await this.resize(n)
      this.workerStartError = undefined
    } catch (e) {
      this.workerStartError = e
      for (let tid = 1; tid < this.workers.length; tid++) {
        if (this.ctrl) Atomics.store(this.ctrl, READY_BASE + tid, 0)
        void this.workers[tid]?.terminate()
      }
      this.workers = [undefined]
      this.workerError = undefined
    }
  }

  fn(name: KernelName): WasmFn {
    const f = (this.exports as unknown as Record<string, unknown>)[name] as WasmFn | undefined
    if (typeof f !== 'function')
      throw new SimdBackendError('SIMD_WASM_INSTANTIATE_FAILED', `${this.build} build has no export ${name}`)
    return f
  }

  /** Threads a kernel may split over right now (main thread + started workers). */
  get threads(): number {
    if (!this.ctrl) return 1
    let n = 1
    while (n < this.workers.length && Atomics.load(this.ctrl, READY_BASE + n) === 1) n++
    return n
  }

  /** Starts or stops workers so that `n` threads (main included) serve kernels. Resolves when they run. */
  async resize(n: number): Promise<void> {
    if (!this.ctrl || this.disposed) return
    const want = Math.max(1, n)
    while (this.workers.length > want) {
      const w = this.workers.pop()
      Atomics.store(this.ctrl, READY_BASE + this.workers.length, 0)
      void w?.terminate()
    }
    const starting: Promise<void>[] = []
    for (let tid = this.workers.length; tid < want; tid++) {
      const init = {
        module: this.module,
        memory: this.memory,
        ctrlBuf: this.ctrl.buffer,
        argsBuf: this.args!.buffer,
        tid,
        names: this.names,
      }
      Atomics.store(this.ctrl, READY_BASE + tid, 0)
      const handle = await this.spawn(init)
      this.workers.push(handle)
      starting.push(this.waitReady(tid))
    }
    await Promise.all(starting)
  }

  private async spawn(init: object): Promise<WorkerHandle> {
    if (isNode) {
      const { Worker } = (await import(
        /* webpackIgnore: true */ /* @vite-ignore */ NODE_WORKERS
      )) as typeof import('node:worker_threads')
      const w = new Worker(NODE_WORKER, { eval: true, workerData: init })
      // Idle workers never keep the process alive: training scripts exit when they are done.
      w.unref()
      w.on('error', (err) => {
        this.workerFailed(err)
      })
      return w
    }
    const url = URL.createObjectURL(new Blob([WEB_WORKER], { type: 'text/javascript' }))
    const w = new Worker(url)
    w.postMessage(init)
    w.onerror = (e) => this.workerFailed(e)
    return w
  }

  private workerError: unknown
  private workerFailed(err: unknown): void {
    this.workerError = err
  }

  private async waitReady(tid: number): Promise<void> {
    const ctrl = this.ctrl!
    for (let i = 0; Atomics.load(ctrl, READY_BASE + tid) !== 1; i++) {
      if (this.workerError) {
        throw new SimdBackendError('SIMD_WORKER_FAILED', `worker ${tid} failed to start: ${String(this.workerError)}`, {
          cause: this.workerError,
        })
      }
      if (i > 3000) throw new SimdBackendError('SIMD_WORKER_FAILED', `worker ${tid} did not start within 30 s`)
      await new Promise((r) => setTimeout(r, 10))
    }
  }

  /**
   * Runs export `name` once per job, job 0 on this thread and job t on worker t, and returns when all are done.
   * Every job must touch disjoint output memory.
   */
  run<K extends KernelName>(name: K, typedJobs: readonly KernelArgs<K>[]): void {
    // Checked by the signature; from here on the arguments are numbers by position.
    const jobs = typedJobs as unknown as readonly (readonly number[])[]
    this.calls++
    if (this.disposed)
      throw new SimdBackendError('SIMD_BACKEND_DISPOSED', `kernel ${name} called after the simd backend was disposed`)
    const f = this.fn(name)
    const ctrl = this.ctrl
    if (jobs.length <= 1 || !ctrl) {
      for (const j of jobs) f(...j)
      return
    }
    // A job for a worker that does not run would never be acknowledged: fail instead of waiting forever.
    if (jobs.length > this.threads) {
      throw new SimdBackendError(
        'SIMD_WORKER_FAILED',
        `${name}: ${jobs.length} jobs for ${this.threads} running threads (at most one job per thread)`,
      )
    }
    const active = jobs.length - 1
    const args = this.args!
    for (let t = 1; t < jobs.length; t++) {
      const j = jobs[t]!
      args.set(j, t * ARG_STRIDE)
    }
    ctrl[FN] = this.fnIndex.get(name)!
    ctrl[ARGC] = jobs[0]!.length
    Atomics.store(ctrl, ACTIVE, active)
    Atomics.store(ctrl, DONE, 0)
    Atomics.add(ctrl, GEN, 1)
    Atomics.notify(ctrl, GEN)
    f(...jobs[0]!)
    // Spin (up to SPIN_MS) before sleeping: the workers usually finish within microseconds of this thread, and a
    // futex wake-up would cost tens of microseconds per kernel.
    let until = 0
    for (let i = 1; ; i++) {
      const done = Atomics.load(ctrl, DONE)
      if (done >= active) break
      if ((i & 255) === 0 && this.canBlock) {
        const now = performance.now()
        if (until === 0) until = now + SPIN_MS
        else if (now > until) Atomics.wait(ctrl, DONE, done, 1000)
      }
    }
    if (Atomics.exchange(ctrl, FAILED, 0) !== 0) {
      throw new SimdBackendError('SIMD_WORKER_FAILED', `a worker thread trapped while running ${name}`)
    }
  }

  dispose(): void {
    if (this.disposed) return
    this.disposed = true
    this.unsubscribe()
    if (this.ctrl) {
      Atomics.store(this.ctrl, QUIT, 1)
      Atomics.add(this.ctrl, GEN, 1)
      Atomics.notify(this.ctrl, GEN)
    }
    for (const w of this.workers) void w?.terminate()
    this.workers = [undefined]
  }
}
