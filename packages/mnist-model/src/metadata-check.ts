import { ModelFileError } from './errors'
import type { ModelMetadata } from './metadata'

const SHA256_HEX = /^[0-9a-f]{64}$/

/**
 * @internal Check the metadata fields that consumers act on, so a hand-edited or corrupt block is refused at load
 * naming `file` instead of turning into NaN predictions later: `normalization` (finite mean, finite std > 0),
 * `weightsSha256`, `dataset`, `epochs`, `params`, `testAccuracy`. Fields that are absent stay absent.
 */
export function checkMetadata(meta: ModelMetadata, file: string): void {
  const bad = (field: string, expected: string, found: unknown): never => {
    throw new ModelFileError(file, `metadata field ${field}: expected ${expected}, found ${show(found)}`, {
      code: 'MODEL_METADATA_INVALID',
    })
  }
  const m = meta as unknown as Record<string, unknown>
  if ('normalization' in m) {
    const n = m.normalization as Record<string, unknown> | null
    if (n === null || typeof n !== 'object' || Array.isArray(n)) bad('normalization', '{ mean, std }', n)
    if (typeof n!.mean !== 'number' || !Number.isFinite(n!.mean)) bad('normalization.mean', 'a finite number', n!.mean)
    if (typeof n!.std !== 'number' || !Number.isFinite(n!.std) || !(n!.std > 0)) {
      bad('normalization.std', 'a finite number > 0 (pixels are divided by it)', n!.std)
    }
  }
  if ('weightsSha256' in m && (typeof m.weightsSha256 !== 'string' || !SHA256_HEX.test(m.weightsSha256))) {
    bad('weightsSha256', '64 lowercase hex digits (SHA-256 of the weight files)', m.weightsSha256)
  }
  if ('dataset' in m && (typeof m.dataset !== 'string' || m.dataset.length === 0))
    bad('dataset', 'a non-empty string', m.dataset)
  if ('epochs' in m && !isCount(m.epochs)) bad('epochs', 'an integer >= 0', m.epochs)
  if ('params' in m && !isCount(m.params)) bad('params', 'an integer >= 0', m.params)
  if ('testAccuracy' in m && !(typeof m.testAccuracy === 'number' && m.testAccuracy >= 0 && m.testAccuracy <= 1)) {
    bad('testAccuracy', 'a fraction in [0, 1]', m.testAccuracy)
  }
}

/** @internal `params` in the metadata must be the loaded model's trainable-parameter count (saveModel writes it so). */
export function checkParams(meta: ModelMetadata, file: string, actual: number): void {
  if (typeof meta.params === 'number' && meta.params !== actual) {
    throw new ModelFileError(
      file,
      `metadata field params: expected the model's ${actual} trainable parameters, ` +
        `found ${meta.params} (metadata of another model?)`,
      { code: 'MODEL_METADATA_INVALID' },
    )
  }
}

function isCount(v: unknown): boolean {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0
}

function show(v: unknown): string {
  if (v === undefined) return 'nothing'
  if (typeof v === 'number') return String(v)
  const text = JSON.stringify(v) ?? String(v)
  return text.length > 60 ? `${text.slice(0, 57)}...` : text
}
