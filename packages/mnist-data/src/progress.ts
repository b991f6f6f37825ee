// The progress report of a download, shared by loadMnist (Node) and fetchMnist (any platform).

/** Progress of one file's download: bytes received so far and, when the server says, the total. */
export interface DownloadProgress {
  file: string
  bytes: number
  total?: number
}
