/** 32-bit FNV-1a over byte arrays, as 8 hex digits: identifies a run's training data (resume refuses other data). */
export function fingerprint(...arrays: Uint8Array[]): string {
  let h = 0x811c9dc5
  for (const bytes of arrays) {
    for (let i = 0; i < bytes.length; i++) {
      h ^= bytes[i]!
      h = Math.imul(h, 0x01000193)
    }
  }
  return (h >>> 0).toString(16).padStart(8, '0')
}
