// The direct 3x3 conv kernels called straight on the wasm exports, two builds side by side: bytewise comparison of
// their outputs (model shapes, odd shapes, random row ranges) and interleaved timings on the model's shapes.
//   node --no-wasm-dynamic-tiering bench/conv-direct.mjs OLD.wasm NEW.wasm [check|time|both]
// (relaxed-simd builds on Node 20: add --experimental-wasm-relaxed-simd; Node 22+ has it on and refuses the flag)
// Single thread; shared memory for builds whose file name says -shared.
import { readFileSync } from 'node:fs'

const [oldPath, newPath, mode = 'both'] = process.argv.slice(2)
const PAGES = 1024

async function load(path) {
  const memory = new WebAssembly.Memory({ initial: PAGES, maximum: 65536, shared: path.includes('shared') })
  const { instance } = await WebAssembly.instantiate(readFileSync(path), {
    env: {
      memory,
      abort() {
        throw new Error('abort')
      },
    },
  })
  const e = instance.exports
  let top = (e.heap_base() + 63) & ~63
  const alloc = (floats) => {
    const p = top
    top += ((floats * 4 + 63) & ~63) + 64
    return p
  }
  return {
    e,
    memory,
    alloc,
    reset() {
      top = (e.heap_base() + 63) & ~63
    },
  }
}
const mods = [await load(oldPath), await load(newPath)]

let seed = 12345
const rand = () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 4294967296) * 2 - 1
const blockRows = (k) => Math.max(4, Math.floor(32768 / k / 4) * 4)

/** Sets up one conv problem in both modules with identical inputs; returns runners and output readers. */
function setup(B, H, W, C, OC) {
  const K = 9 * C
  const x = Float32Array.from({ length: B * H * W * C }, rand)
  const w = Float32Array.from({ length: K * OC }, rand)
  const dy = Float32Array.from({ length: B * H * W * OC }, rand)
  const wt = new Float32Array(K * OC)
  for (let k = 0; k < K; k++) for (let o = 0; o < OC; o++) wt[o * K + k] = w[k * OC + o]
  const mb = blockRows(K)
  return mods.map((m) => {
    m.reset()
    const f = () => new Float32Array(m.memory.buffer)
    const geo = m.alloc(16)
    new Int32Array(m.memory.buffer, geo, 15).set([B, H, W, C, H, W, OC, 3, 3, 1, 1, 1, 1, 1, 1])
    const px = m.alloc(x.length),
      pw = m.alloc(w.length),
      pdy = m.alloc(dy.length),
      pwt = m.alloc(wt.length)
    f().set(x, px >> 2)
    f().set(w, pw >> 2)
    f().set(dy, pdy >> 2)
    f().set(wt, pwt >> 2)
    const py = m.alloc(B * H * W * OC),
      pdx = m.alloc(B * H * W * C),
      pdw = m.alloc(K * OC),
      scratch = m.alloc(mb * K)
    const e = m.e
    return {
      fwd: (m0, m1) => e.conv2d_f32(px, pw, py, geo, m0, m1, scratch, mb),
      dx: (n0, n1) => e.conv2d_backprop_input_f32(pdy, pwt, pdx, geo, n0, n1, scratch, mb),
      dw: (m0, m1) => e.conv2d_backprop_filter_f32(px, pdy, pdw, geo, m0, m1, scratch, mb),
      y: () => new Uint32Array(m.memory.buffer, py, B * H * W * OC).slice(),
      dxv: () => new Uint32Array(m.memory.buffer, pdx, B * H * W * C).slice(),
      dwv: () => new Uint32Array(m.memory.buffer, pdw, K * OC).slice(),
      clear: () => {
        f().fill(NaN, py >> 2, (py >> 2) + B * H * W * OC)
        f().fill(NaN, pdx >> 2, (pdx >> 2) + B * H * W * C)
        f().fill(NaN, pdw >> 2, (pdw >> 2) + K * OC)
      },
    }
  })
}

function same(a, b) {
  if (a.length !== b.length) return false
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false
  return true
}

let checks = 0,
  failures = 0
function check(B, H, W, C, OC, ranges) {
  const r = setup(B, H, W, C, OC)
  for (const [kind, m0, m1] of ranges) {
    for (const s of r) {
      s.clear()
      s[kind](m0, m1)
    }
    const read = kind === 'fwd' ? 'y' : kind === 'dx' ? 'dxv' : 'dwv'
    checks++
    if (!same(r[0][read](), r[1][read]())) {
      failures++
      if (failures < 20) console.log(`MISMATCH ${kind} B${B} ${H}x${W} C${C} OC${OC} [${m0}, ${m1})`)
    }
  }
}

if (mode === 'check' || mode === 'both') {
  // model shapes, thread splits of 1 and 2 (row ranges aligned to 4, dW into 2 parts), then odd shapes
  const model = [
    [28, 28, 1, 8],
    [14, 14, 8, 16],
    [7, 7, 16, 24],
    [7, 7, 24, 24],
  ]
  for (const B of [32, 1, 3]) {
    for (const [H, W, C, OC] of model) {
      const rows = B * H * W
      const half = Math.round(rows / 2 / 4) * 4
      check(B, H, W, C, OC, [
        ['fwd', 0, rows],
        ['fwd', 0, half],
        ['fwd', half, rows],
        ['dw', 0, rows],
        ['dw', 0, half],
        ['dw', half, rows],
        ['dx', 0, B],
        ['dx', 0, B >> 1],
        ['dx', B >> 1, B],
      ])
    }
  }
  // fallbacks: dX without room for the flipped filter (C = OC = 64), generic tiles (channel counts without generated
  // variants, images narrower than a tile), dW too big for shifted rows
  for (const [B, H, W, C, OC] of [
    [2, 5, 6, 64, 64],
    [2, 3, 3, 40, 48],
    [3, 2, 2, 24, 24],
    [2, 4, 3, 12, 24],
    [2, 3, 2, 16, 16],
    [2, 9, 11, 48, 24],
    [1, 28, 28, 8, 8],
    [2, 14, 14, 8, 24],
  ]) {
    const rows = B * H * W
    check(B, H, W, C, OC, [
      ['fwd', 0, rows],
      ['fwd', 1, rows - 2],
      ['dw', 0, rows],
      ['dw', 3, rows - 1],
      ['dx', 0, B],
      ['dx', 1, B],
    ])
  }
  const pick = (a) => a[Math.floor(((rand() + 1) / 2) * a.length)]
  for (let t = 0; t < 400; t++) {
    const B = pick([1, 1, 2, 3, 5]),
      H = pick([1, 2, 3, 4, 5, 6, 7, 9, 13, 14, 17, 28]),
      W = pick([1, 2, 3, 4, 5, 7, 8, 11, 14, 28])
    const C = pick([1, 1, 4, 8, 12, 16, 20, 24, 32, 40, 64]),
      OC = pick([4, 8, 12, 16, 24, 32, 40, 48, 64])
    const rows = B * H * W
    const ranges = [
      ['fwd', 0, rows],
      ['dw', 0, rows],
      ['dx', 0, B],
    ]
    for (let i = 0; i < 3; i++) {
      const a = Math.floor(((rand() + 1) / 2) * rows),
        b = Math.floor(((rand() + 1) / 2) * rows)
      if (a !== b) ranges.push(['fwd', Math.min(a, b), Math.max(a, b)], ['dw', Math.min(a, b), Math.max(a, b)])
    }
    if (B > 1) ranges.push(['dx', 1, B])
    check(B, H, W, C, OC, ranges)
  }
  console.log(
    `check: ${checks - failures}/${checks} outputs bytewise identical${failures ? ` — ${failures} MISMATCHES` : ''}`,
  )
}

if (mode === 'time' || mode === 'both') {
  const B = 32
  const cases = [
    ['L1 fwd', 28, 28, 1, 8, 'fwd'],
    ['L2 fwd', 14, 14, 8, 16, 'fwd'],
    ['L3 fwd', 7, 7, 16, 24, 'fwd'],
    ['L4 fwd', 7, 7, 24, 24, 'fwd'],
    ['L1 dW', 28, 28, 1, 8, 'dw'],
    ['L2 dW', 14, 14, 8, 16, 'dw'],
    ['L3 dW', 7, 7, 16, 24, 'dw'],
    ['L4 dW', 7, 7, 24, 24, 'dw'],
    ['L2 dX', 14, 14, 8, 16, 'dx'],
    ['L3 dX', 7, 7, 16, 24, 'dx'],
    ['L4 dX', 7, 7, 24, 24, 'dx'],
  ]
  const only = process.env.ONLY ? new RegExp(process.env.ONLY) : null
  const ROUNDS = Number(process.env.ROUNDS ?? 7)
  let tot = [0, 0]
  for (const [name, H, W, C, OC, kind] of cases) {
    if (only && !only.test(name)) continue
    const r = setup(B, H, W, C, OC)
    const rows = B * H * W
    const flops = 2 * rows * 9 * C * OC
    const call = kind === 'dx' ? (s) => s.dx(0, B) : kind === 'dw' ? (s) => s.dw(0, rows) : (s) => s.fwd(0, rows)
    const reps = Math.max(5, Math.round(3e7 / flops))
    const best = [Infinity, Infinity]
    for (const s of r) for (let i = 0; i < reps; i++) call(s)
    for (let round = 0; round < ROUNDS; round++) {
      for (let v = 0; v < 2; v++) {
        const s = r[(v + round) & 1 ? 1 : 0],
          idx = (v + round) & 1 ? 1 : 0
        const t0 = performance.now()
        for (let i = 0; i < reps; i++) call(s)
        best[idx] = Math.min(best[idx], ((performance.now() - t0) / reps) * 1000)
      }
    }
    tot[0] += best[0]
    tot[1] += best[1]
    const gf = (us) => (flops / us / 1000).toFixed(1)
    console.log(
      `${name.padEnd(7)} old ${best[0].toFixed(0).padStart(4)} µs ${gf(best[0]).padStart(5)} GF/s | new ${best[1].toFixed(0).padStart(4)} µs ${gf(best[1]).padStart(5)} GF/s | ${((best[0] / best[1] - 1) * 100).toFixed(0).padStart(4)} %`,
    )
  }
  console.log(`sum     old ${tot[0].toFixed(0)} µs | new ${tot[1].toFixed(0)} µs`)
}
