import * as tf from '@tensorflow/tfjs-core'
import { BackendUnavailableError, BackendsConfigError, GradientsMissingError } from './errors'
import { checkThreads } from './threads'
import { firstLine } from './_first-line'
import type {
  BackendDescriptor,
  BackendName,
  BackendRequest,
  BackendSelection,
  BackendStatus,
  Probe,
  SelectBackendOptions,
  SkippedBackend,
} from './types'

/** `selectBackend`, `listBackends` and `BACKEND_ORDER` over one set of backend descriptors. */
export interface BackendSelector {
  /** Backend names, highest `priority` first: the order `auto` tries them in. */
  readonly order: readonly BackendName[]
  select(requested?: BackendRequest, options?: SelectBackendOptions): Promise<BackendSelection>
  list(options?: SelectBackendOptions): Promise<BackendStatus[]>
}

/** Ranks descriptors by their own priority (stable for ties) and binds selection and listing to them. */
export function createBackendSelector(descriptors: readonly BackendDescriptor[]): BackendSelector {
  const ranked = [...descriptors].sort((a, b) => b.priority - a.priority)
  const order = Object.freeze(ranked.map((d) => d.name))
  return {
    order,
    select: (requested = 'auto', options = {}) => selectFrom(ranked, requested, options),
    list: (options = {}) => listFrom(ranked, options),
  }
}

async function selectFrom(
  ranked: readonly BackendDescriptor[],
  requested: BackendRequest,
  options: SelectBackendOptions,
): Promise<BackendSelection> {
  const explicit = ranked.find((d) => d.name === requested)
  if (requested !== 'auto' && explicit === undefined) {
    const names = ranked.map((d) => d.name).join(', ')
    throw new BackendsConfigError('BACKENDS_UNKNOWN_BACKEND', 'backend', `one of auto, ${names}`, requested)
  }
  checkThreads(options.threads)
  await prepareTfjs()
  const candidates = explicit === undefined ? ranked : [explicit]
  const skipped: SkippedBackend[] = []
  for (const descriptor of candidates) {
    const outcome = await probeAndActivate(descriptor, { options, forAuto: explicit === undefined })
    if (outcome.ok) {
      return { backend: descriptor.name, tfBackend: outcome.tfBackend, device: await outcome.device(), skipped }
    }
    if (explicit !== undefined) {
      throw new BackendUnavailableError(descriptor.name, outcome.reason, outcome.fix, { cause: outcome.cause })
    }
    skipped.push({ backend: descriptor.name, reason: outcome.reason })
  }
  /* c8 ignore next 2: cpu is pure JS and always initialises */
  const reason = skipped.map((s) => `${s.backend}: ${s.reason}`).join('; ')
  throw new BackendUnavailableError('auto', reason, 'install @tensorflow/tfjs-backend-cpu')
}

async function listFrom(ranked: readonly BackendDescriptor[], options: SelectBackendOptions): Promise<BackendStatus[]> {
  checkThreads(options.threads)
  await prepareTfjs()
  const previous = tf.engine().backendName as string | null | undefined
  const out: BackendStatus[] = []
  try {
    for (const descriptor of ranked) {
      const forAuto = options.allowSoftwareWebGpu !== true
      const outcome = await probeAndActivate(descriptor, { options, forAuto })
      if (!outcome.ok) {
        out.push({ backend: descriptor.name, available: false, reason: outcome.reason, fix: outcome.fix })
        continue
      }
      const features = outcome.features ? { features: await outcome.features() } : {}
      out.push({ backend: descriptor.name, available: true, device: await outcome.device(), ...features })
    }
  } finally {
    if (previous) await tf.setBackend(previous)
  }
  return out
}

/** Probes a backend and, where the probe says it can run, makes it the active tfjs backend. */
async function probeAndActivate(
  descriptor: BackendDescriptor,
  context: Parameters<BackendDescriptor['probe']>[0],
): Promise<Probe> {
  const probe = await descriptor.probe(context)
  if (!probe.ok) return probe
  try {
    if (await tf.setBackend(probe.tfBackend)) return probe
    // tfjs only says "false": the backend's own record of why (e.g. which wasm file) makes the reason actionable.
    const failure = descriptor.initFailure?.()
    const reason = failure?.reason ?? `the ${probe.tfBackend} backend failed to initialise`
    return { ok: false, reason: firstLine(reason), fix: descriptor.fix, cause: failure?.cause }
  } catch (error) {
    return { ok: false, reason: `initialisation failed: ${firstLine(error)}`, fix: descriptor.fix, cause: error }
  }
}

let prepared = false
async function prepareTfjs(): Promise<void> {
  if (prepared) return
  // tfjs-core's Node bundle registers no gradient. tfjs-layers' Node bundle registers all of tfjs-core's (its copy of
  // register_all_gradients); tfjs-core's own dist/register_all_gradients.js is ES-module source that Node would load
  // as CommonJS, so it cannot be imported here. Check rather than assume.
  await import('@tensorflow/tfjs-layers')
  const kernels = ['Conv2D', 'FusedBatchNorm', 'MaxPool', 'Relu', 'Mean', 'Softmax', 'BatchMatMul']
  const missing = kernels.filter((k) => tf.getGradient(k) == null)
  if (missing.length > 0) throw new GradientsMissingError(missing)
  // Production mode only silences tfjs's console banners ("looks like you are running in Node.js", ...).
  tf.env().set('PROD', true)
  prepared = true
}
