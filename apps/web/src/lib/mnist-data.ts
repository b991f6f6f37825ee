// MNIST's four files from a base URL (a same-origin folder or a CORS-enabled mirror), gunzipped and checked against
// their published SHA-256 by @mnist/data's browser entry.
import { fetchMnist, type MnistSplit } from '@mnist/data'

export interface MnistSplits {
  train: MnistSplit
  test: MnistSplit
}

export interface DataProgress {
  loadedBytes: number
  totalBytes: number
}

// The four files' published gzip sizes: one progress bar for the whole download.
const TOTAL_BYTES = 9_912_422 + 28_881 + 1_648_877 + 4_542

export async function loadMnistFrom(baseUrl: string, onProgress?: (p: DataProgress) => void): Promise<MnistSplits> {
  const received = new Map<string, number>()
  const data = await fetchMnist({
    mirror: baseUrl,
    // Bound to the global scope: @mnist/data (as of this writing) calls the function it is given as a method of its
    // settings object, which the browser's fetch refuses ("Illegal invocation").
    fetch: (input, init) => globalThis.fetch(input, init),
    onProgress: (p) => {
      received.set(p.file, p.bytes)
      let loadedBytes = 0
      for (const b of received.values()) loadedBytes += b
      onProgress?.({ loadedBytes, totalBytes: TOTAL_BYTES })
    },
  })
  return { train: data.train, test: data.test }
}
