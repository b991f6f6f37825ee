// The download and size options loadMnist (Node) and fetchMnist (any platform) share: one definition, so the two
// entries cannot drift apart. Browser-safe (types only).
import type { DownloadProgress } from './progress'

export interface TransferOptions {
  /** Check the SHA-256 of every decompressed file of a built-in dataset (default true). */
  verify?: boolean
  /** Bytes received so far for one file (as sent: compressed), and the total when the server says. */
  onProgress?: (p: DownloadProgress) => void
  signal?: AbortSignal
  /** Inactivity timeout per HTTP request in ms (default 30000). */
  timeoutMs?: number
  /** Whole-file timeout per HTTP request in ms; 0: none (default 600000). Catches a server that drips bytes. */
  totalTimeoutMs?: number
  /** Extra tries per mirror after a failure that may be transient (default 3). */
  retries?: number
  /** First backoff delay in ms, doubled on every retry (default 500). */
  retryDelayMs?: number
  /**
   * Most decompressed data bytes the four files may declare in all, when their exact sizes are not known (`custom`,
   * or `verify: false`). Default 384 MiB (about 500 000 images of 28x28).
   */
  maxBytes?: number
  /** Image size the files must have: 28x28 (what the models take) by default; `'any'` accepts every size. */
  imageSize?: { rows: number; cols: number } | 'any'
}
