import type * as tfc from '@tensorflow/tfjs-core'
import { ModelFileError } from './errors'
import { sha256Hex } from './sha256'

/**
 * @internal Compare the SHA-256 of the weight files (concatenated in manifest order: for the usual single
 * weights.bin, what `sha256sum weights.bin` prints) with the metadata's `weightsSha256`. A bit flip anywhere in the
 * weights is refused here, before a model is built from them.
 */
export async function verifyWeightsChecksum(weights: Uint8Array, expected: string, file: string): Promise<void> {
  const found = await sha256Hex(weights)
  if (found === expected) return
  throw new ModelFileError(
    file,
    `SHA-256 ${found} does not match weightsSha256 ${expected} in the model's metadata ` +
      '(the file is corrupt or was replaced)',
    { code: 'MODEL_WEIGHTS_CHECKSUM_MISMATCH' },
  )
}

/**
 * @internal Refuse NaN or ±Infinity in float32 weights (a diverged training or a corrupt file): they would turn
 * every prediction into NaN. `weights` holds the weights of `specs` back to back, as the manifest lays them out.
 */
export function checkFiniteWeights(
  specs: readonly tfc.io.WeightsManifestEntry[],
  weights: Uint8Array,
  file: string,
  bytesPer: (dtype: string) => number,
): void {
  const view = new DataView(weights.buffer, weights.byteOffset, weights.byteLength)
  let offset = 0
  for (const spec of specs) {
    const size = (spec.shape ?? []).reduce((a, b) => a * b, 1)
    const dtype = spec.quantization?.dtype ?? spec.dtype
    if (dtype === 'float32') {
      for (let i = 0; i < size; i++) {
        const v = view.getFloat32(offset + i * 4, true)
        if (!Number.isFinite(v)) {
          throw new ModelFileError(
            file,
            `weight ${spec.name}[${i}] is ${v} (expected finite numbers: a corrupt file or a diverged training?)`,
            {
              code: 'MODEL_WEIGHTS_NOT_FINITE',
            },
          )
        }
      }
    }
    offset += size * bytesPer(dtype)
  }
}
