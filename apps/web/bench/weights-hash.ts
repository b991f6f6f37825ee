// SHA-256 of a model's weights (Web Crypto): the same bytes as bench/node-epoch.mjs hashes in Node.

export async function weightsSha256(weights: Float32Array[]): Promise<string> {
  const total = weights.reduce((n, w) => n + w.byteLength, 0)
  const bytes = new Uint8Array(total)
  let at = 0
  for (const w of weights) {
    bytes.set(new Uint8Array(w.buffer, w.byteOffset, w.byteLength), at)
    at += w.byteLength
  }
  const digest = await crypto.subtle.digest('SHA-256', bytes)
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, '0')).join('')
}
