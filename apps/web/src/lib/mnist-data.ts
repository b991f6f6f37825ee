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

// The four files' published gzip sizes: one progress bar for the whole download until the server has given all sizes.
const PUBLISHED_BYTES = 9_912_422 + 28_881 + 1_648_877 + 4_542

export interface LoadOptions {
  /** Aborts the download with @mnist/data's `DownloadError` (code `DATA_DOWNLOAD_ABORTED`). */
  signal?: AbortSignal
  onProgress?(p: DataProgress): void
}

export async function loadMnistFrom(baseUrl: string, { signal, onProgress }: LoadOptions = {}): Promise<MnistSplits> {
  const received = new Map<string, number>()
  const totals = new Map<string, number>()
  const data = await fetchMnist({
    mirror: baseUrl,
    signal,
    onProgress: (p) => {
      received.set(p.file, p.bytes)
      if (p.total !== undefined) totals.set(p.file, p.total)
      const sum = (m: Map<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0)
      onProgress?.({ loadedBytes: sum(received), totalBytes: totals.size === 4 ? sum(totals) : PUBLISHED_BYTES })
    },
  })
  return { train: data.train, test: data.test }
}
