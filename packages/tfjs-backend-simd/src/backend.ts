import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu'
import type { BackendValues, DataId, DataType, Tensor, Tensor2D, Tensor4D, TensorInfo } from '@tensorflow/tfjs-core'
import type { SimdBuild } from './flags'
import { FusedPredictor } from './fused/predict'
import type { FusedModelSpec } from './fused/spec'
import type { Runtime } from './runtime'
import { SHARED_KEY } from './process-state'

export const BACKEND_NAME = 'simd'

export interface SimdMemoryInfo {
  unreliable: boolean
  reasons: string[]
  /** Bytes of wasm heap held by live tensors and scratch. */
  wasmBytesInUse: number
  /** High-water mark of the wasm heap in bytes. */
  wasmBytesReserved: number
}

/**
 * The CPU backend, with float32 tensors made by wasm kernels stored inside the wasm memory (as Float32Array
 * views on it), so that the next wasm kernel reads them in place. CPU fallback kernels read those views like
 * any other array; tensors they make stay ordinary JS arrays and are copied in when a wasm kernel needs them.
 */
export class SimdBackend extends MathBackendCPU {
  /** @internal Brand that both builds of this package (ESM and CJS) recognise: see Symbol.hasInstance below. */
  readonly [SHARED_KEY] = true

  /** true for a SimdBackend made by either build of this package loaded in this process (ESM or CJS). */
  static override [Symbol.hasInstance](x: unknown): boolean {
    return typeof x === 'object' && x !== null && (x as { [SHARED_KEY]?: unknown })[SHARED_KEY] === true
  }

  /** @internal The wasm heap block of every tensor that lives in wasm memory. */
  private readonly ptrs = new Map<DataId, number>()

  /** @internal The wasm runtime (not part of the published types: kernels and the fused trainer use it). */
  readonly rt: Runtime

  /** @internal The folded models of fusedPredict. */
  private predictor: FusedPredictor | undefined

  /** @internal Made by the 'simd' backend factory (registerSimdBackend). */
  constructor(rt: Runtime) {
    super()
    this.rt = rt
    // The CPU backend greets Node users with "install tfjs-node"; this backend is the answer to that.
    ;(this as unknown as { firstUse: boolean }).firstUse = false
  }

  /** Threads kernels split over right now: this one plus the workers that have started. */
  get threads(): number {
    return this.rt.threads
  }

  /** The wasm build that runs. */
  get build(): SimdBuild {
    return this.rt.build
  }

  /** Why worker threads could not start, if they could not (the backend then runs on one thread). */
  get workerStartError(): unknown {
    return this.rt.workerStartError
  }

  /**
   * Logits of `images` ([n, h, w, c], normalised as the model gets them) from the network `spec` describes, with
   * `weights` = every weight of the matching tfjs-layers model in `model.getWeights()` order (the trainable ones in
   * layer order, then each batch norm's moving mean and variance), in inference mode
   * (moving statistics, dropout off): what `model.predict(images)` returns, computed by one fused forward pass per
   * 256 images with each batch norm folded into the conv/dense weights before it. The folded weights are kept for the
   * next calls with the same weight tensors, and freed as soon as one of them is disposed or reassigned. Returns a new [n, classes] tensor.
   * Throws FusedNetworkError for a layer the fused step does not run (predict with the model then), FusedInputError
   * for weights or images that do not fit the spec.
   */
  fusedPredict(spec: FusedModelSpec, weights: readonly Tensor[], images: Tensor4D): Tensor2D {
    this.predictor ??= new FusedPredictor(this)
    return this.predictor.predict(spec, weights, images)
  }

  /** @internal Pointer of a tensor that already lives in wasm memory (shared mode only). */
  ptrOf(dataId: DataId): number | undefined {
    return this.ptrs.get(dataId)
  }

  /** @internal */
  valuesOf(dataId: DataId): BackendValues {
    return this.data.get(dataId)!.values as BackendValues
  }

  /** @internal Registers `n` floats at `ptr` (allocated from rt.heap) as a new tensor; the heap block is freed with it. */
  adoptHeapTensor(ptr: number, shape: number[], dtype: DataType, n: number): TensorInfo {
    const view = new Float32Array(this.rt.memory.buffer, ptr, n)
    const info = this.makeTensorInfo(shape, dtype, view)
    this.ptrs.set(info.dataId, ptr)
    return info
  }

  /**
   * @internal Moves a tensor made by a CPU kernel into wasm memory (one copy), so that every later wasm kernel reads it in
   * place. Only float32 tensors, only with shared memory (views on unshared memory die with memory.grow).
   */
  adopt(dataId: DataId, n: number): number | undefined {
    const entry = this.data.get(dataId)
    if (
      !this.rt.shared ||
      !entry ||
      entry.dtype !== 'float32' ||
      !(entry.values instanceof Float32Array) ||
      entry.values.length !== n
    ) {
      return undefined
    }
    const ptr = this.rt.heap.alloc(n * 4)
    const view = new Float32Array(this.rt.memory.buffer, ptr, n)
    view.set(entry.values)
    entry.values = view
    this.ptrs.set(dataId, ptr)
    return ptr
  }

  /**
   * @internal A CPU kernel may return a view of its input (Slice returns a subarray): such a view into wasm memory must not
   * outlive the block, so it gets its own copy.
   */
  detachAliases(outputs: TensorInfo | TensorInfo[]): void {
    for (const o of Array.isArray(outputs) ? outputs : [outputs]) {
      if (!o || this.ptrs.has(o.dataId)) continue
      const entry = this.data.get(o.dataId)
      const v = entry?.values as (ArrayLike<number> & { buffer?: ArrayBufferLike; slice?: () => unknown }) | undefined
      if (
        entry &&
        v &&
        typeof SharedArrayBuffer !== 'undefined' &&
        v.buffer instanceof SharedArrayBuffer &&
        typeof v.slice === 'function'
      ) {
        entry.values = v.slice() as typeof entry.values
      }
    }
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const removed = super.disposeData(dataId, force)
    if (!this.data.has(dataId)) {
      this.predictor?.release(dataId)
      const ptr = this.ptrs.get(dataId)
      if (ptr !== undefined) {
        this.ptrs.delete(dataId)
        this.rt.heap.free(ptr)
      }
    }
    return removed
  }

  // Data in wasm memory is reused once its tensor is disposed: callers get a copy they may keep.
  override readSync(dataId: DataId): BackendValues {
    if (this.ptrs.has(dataId)) return (this.data.get(dataId)!.values as Float32Array).slice()
    return super.readSync(dataId)
  }

  override async read(dataId: DataId): Promise<BackendValues> {
    return this.readSync(dataId)
  }

  override memory(): SimdMemoryInfo {
    return {
      ...super.memory(),
      unreliable: true,
      wasmBytesInUse: this.rt.heap.bytesInUse,
      wasmBytesReserved: this.rt.heap.bytesReserved,
    }
  }

  override dispose(): void {
    this.predictor?.dispose()
    this.predictor = undefined
    super.dispose()
    this.rt.dispose()
  }
}
