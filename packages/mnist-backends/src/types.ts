/** Our names for the backends. The order `auto` tries them in comes from each descriptor's `priority`. */
export type BackendName = 'node-gpu' | 'node' | 'webgpu' | 'simd' | 'wasm' | 'cpu'
export type BackendRequest = 'auto' | BackendName

export interface SelectBackendOptions {
  /**
   * Threads for the simd and wasm backends, 1 to `MAX_THREADS` of @mnist/backend-simd (default: what the backend
   * picks, usually the core count). Out of range is a `BackendsConfigError` (`BACKENDS_BAD_THREADS`), never a reason
   * for `auto` to skip a backend.
   */
  threads?: number
  /**
   * Accept a software or fallback WebGPU adapter (lavapipe, SwiftShader). Default: `true` when `webgpu` is asked for
   * by name, always `false` for `auto` (a software adapter is slower than the WebAssembly backends).
   */
  allowSoftwareWebGpu?: boolean
}

export interface SkippedBackend {
  backend: BackendName
  /** One line: why it cannot run here. */
  reason: string
}

export interface BackendSelection {
  /** Our name of the backend now active. */
  backend: BackendName
  /** The tfjs backend name now active (`tensorflow` for node / node-gpu). */
  tfBackend: string
  /** What it runs on, in words (e.g. "WebAssembly SIMD, 2 threads"). */
  device: string
  /** Backends `auto` tried first and skipped, in order, with the reason. Empty for an explicit request. */
  skipped: SkippedBackend[]
}

export interface BackendStatus {
  backend: BackendName
  available: boolean
  /** For an available backend: what it runs on. */
  device?: string
  /** For an unavailable backend: why. */
  reason?: string
  /** For an unavailable backend: what to do about it. */
  fix?: string
  /** Feature flags where the backend has them (simd: simd / relaxedSimd / threads / build; wasm: simd, threads). */
  features?: Record<string, unknown>
}

/** What a probe found: the backend can be activated (and how it describes itself), or why not. */
export type Probe =
  | { ok: true; tfBackend: string; device: () => Promise<string>; features?: () => Promise<Record<string, unknown>> }
  | { ok: false; reason: string; fix: string; cause?: unknown }

/** What a probe is asked: the caller's options, and whether `auto` (rather than a request by name) is asking. */
export interface ProbeContext {
  options: SelectBackendOptions
  forAuto: boolean
}

/** One backend: its name, its rank for `auto`, the fix when it cannot run, and how to find out whether it can. */
export interface BackendDescriptor {
  name: BackendName
  /** Rank for `auto`: higher is tried first. Every descriptor declares its own; no list elsewhere orders them. */
  priority: number
  /** What to do when the backend cannot run here (no CLI flags or repository scripts). */
  fix: string
  /** Loads what the backend needs and says whether it can run; never throws for "cannot run here". */
  probe(context: ProbeContext): Promise<Probe>
  /**
   * Why `tf.setBackend` just resolved false after the probe said ok (tfjs gives no reason), or `undefined` when the
   * backend does not know. Its `reason` (one line) replaces the generic "failed to initialise".
   */
  initFailure?: () => { reason: string; cause?: unknown } | undefined
}
