import { backend_util } from '@tensorflow/tfjs-core'
import type { Call } from './_call'

/** NHWC, float32, no depthwise: the geometry the wasm conv kernels handle. */
export function convSupported(info: backend_util.Conv2DInfo): boolean {
  return info.dataFormat === 'channelsLast' && info.inChannels > 0 && info.outChannels > 0
}

/** Writes the i32 geometry block read by assembly/_im2col.ts. */
export function geometry(call: Call, c: backend_util.Conv2DInfo): number {
  return call.ints([c.batchSize, c.inHeight, c.inWidth, c.inChannels, c.outHeight, c.outWidth, c.outChannels,
    c.filterHeight, c.filterWidth, c.strideHeight, c.strideWidth, c.padInfo.top, c.padInfo.left,
    c.dilationHeight, c.dilationWidth])
}

/** Rows of the patch matrix gathered per block: about 128 KiB of patches, a multiple of 4. */
export function blockRows(c: backend_util.Conv2DInfo): number {
  return patchBlockRows(c.filterHeight * c.filterWidth * c.inChannels)
}

/** The same for a patch length k. */
export function patchBlockRows(k: number): number {
  return Math.max(4, Math.floor(32768 / k / 4) * 4)
}

export function convFlops(c: backend_util.Conv2DInfo): number {
  return 2 * c.batchSize * c.outHeight * c.outWidth * c.outChannels * c.filterHeight * c.filterWidth * c.inChannels
}
