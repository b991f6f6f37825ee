// The dense layer's kernels called straight on the wasm exports, two builds side by side: bytewise comparison of the
// new kernels against the old sequence (OLD: transpose + gemm_f32 + transpose for dW) and interleaved timings on the
// default network's dense layer (batch 32, 1176 -> 10).
//   node --experimental-wasm-relaxed-simd bench/dense.mjs OLD.wasm NEW.wasm [check|time|both]
import { loadBuild } from './_wasm-build.mjs'

const [oldPath, newPath, mode = 'both'] = process.argv.slice(2)
const mods = [await loadBuild(oldPath, 256), await loadBuild(newPath, 256)]
let seed = 12345
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1

function setup(n, K, C) {
  const x = Float32Array.from({ length: n * K }, rand)
  const w = Float32Array.from({ length: K * C }, rand)
  const dy = Float32Array.from({ length: n * C }, rand)
  return mods.map((m, which) => {
    m.reset()
    const f = () => new Float32Array(m.memory.buffer)
    const px = m.alloc(x.length), pw = m.alloc(w.length), pdy = m.alloc(dy.length)
    f().set(x, px >> 2); f().set(w, pw >> 2); f().set(dy, pdy >> 2)
    const pwt = m.alloc(K * C), py = m.alloc(n * C), pdw = m.alloc(K * C), pdwt = m.alloc(K * C), pdx = m.alloc(n * K)
    const e = m.e
    const isNew = which === 1 && typeof e.dense_dw_f32 === 'function'
    return {
      fwd: (m0, m1) => { e.transpose_f32(pw, pwt, K, C); e.dot_rows_f32(px, pwt, py, C, K, m0, m1) },
      dw: (k0, k1) => {
        if (isNew) e.dense_dw_f32(pdy, px, pdw, C, K, n, k0, k1)
        else { e.gemm_f32(pdy, 1, C, px + k0 * 4, K, pdwt + k0 * 4, K, C, k1 - k0, n, 0); if (k1 === K) e.transpose_f32(pdwt, pdw, C, K) }
      },
      dx: (k0, k1) => { e.transpose_f32(pw, pwt, K, C); e.gemm_f32(pdy, C, 1, pwt + k0 * 4, K, pdx + k0 * 4, K, n, k1 - k0, C, 0) },
      out: { fwd: [py, n * C], dw: [pdw, K * C], dx: [pdx, n * K] },
      read: (kind) => { const [p, len] = { fwd: [py, n * C], dw: [pdw, K * C], dx: [pdx, n * K] }[kind]; return new Uint32Array(m.memory.buffer, p, len).slice() },
      clear: () => { f().fill(NaN, py >> 2, (py >> 2) + n * C); f().fill(NaN, pdw >> 2, (pdw >> 2) + K * C); f().fill(NaN, pdx >> 2, (pdx >> 2) + n * K) },
    }
  })
}
const same = (a, b) => a.length === b.length && a.every((v, i) => v === b[i])
let checks = 0, failures = 0
if (mode !== 'time') {
  for (const [n, K, C] of [[32, 1176, 10], [7, 45, 9], [7, 9, 10], [5, 36, 10], [3, 13, 1], [4, 16, 3], [9, 40, 5], [6, 27, 7], [2, 8, 2], [1, 5, 11], [32, 1176, 4], [8, 100, 6]]) {
    const r = setup(n, K, C)
    const half = Math.min(K, Math.round(K / 2 / 8) * 8)
    const rh = Math.round(n / 2 / 2) * 2
    for (const kind of ['fwd', 'dw', 'dx']) {
      const splits = kind === 'fwd' ? [[[0, n]], [[0, rh], [rh, n]]] : [[[0, K]], [[0, half], [half, K]]]
      for (const parts of splits) {
        for (const s of r) { s.clear(); for (const [a, b] of parts) s[kind](a, b) }
        checks++
        if (!same(r[0].read(kind), r[1].read(kind))) { failures++; console.log(`MISMATCH ${kind} n${n} K${K} C${C} parts ${JSON.stringify(parts)}`) }
      }
    }
  }
  console.log(`${checks} checks, ${failures} mismatches`)
}
if (mode !== 'check') {
  const [n, K, C] = [32, 1176, 10]
  const r = setup(n, K, C)
  const kinds = { fwd: [0, n], dw: [0, K], dx: [0, K] }
  const best = r.map(() => ({ fwd: Infinity, dw: Infinity, dx: Infinity }))
  for (let round = 0; round < 7; round++) {
    for (const kind of Object.keys(kinds)) {
      for (let w = 0; w < 2; w++) {
        const s = r[w]
        const reps = 200
        const t0 = performance.now()
        for (let i = 0; i < reps; i++) s[kind](...kinds[kind])
        best[w][kind] = Math.min(best[w][kind], ((performance.now() - t0) / reps) * 1000)
      }
    }
  }
  for (const kind of Object.keys(kinds)) console.log(`${kind.padEnd(4)} old ${best[0][kind].toFixed(1).padStart(6)} us  new ${best[1][kind].toFixed(1).padStart(6)} us`)
}
