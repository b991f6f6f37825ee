// The FusedTrainer step bench (packages/tfjs-backend-simd/bench/fused-step.ts) under several Node versions in one run,
// alternating process by process (the machine is shared: neighbours' load hits both sides alike), so that a V8 change
// that costs speed shows up as a ratio. Node binaries: the machine's own, or the official Linux builds from npm
// (scripts/node-bin.sh, as .ci/run gets them). Part of `pnpm bench`; alone: `node scripts/bench-node-versions.mjs`
// after `pnpm build`.
// env: BENCH_NODES (default "20,24"; the first is the baseline), BENCH_NODE_ROUNDS (processes per version, default 3),
//      BENCH_STEPS / BENCH_ROUNDS / BENCH_BATCH (passed on to fused-step.ts; defaults 100 / 2 / 32).
import { execFileSync, spawnSync } from 'node:child_process'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')
const pkg = join(root, 'packages/tfjs-backend-simd')
const majors = (process.env.BENCH_NODES ?? '20,24')
  .split(',')
  .map((m) => m.trim())
  .filter(Boolean)
const rounds = Number(process.env.BENCH_NODE_ROUNDS ?? 3)
const THREADS = [1, 2]

const nodes = majors.map((major) => {
  const opts = { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }
  const bin = execFileSync(join(root, 'scripts/node-bin.sh'), [major], opts).trim()
  const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim()
  return { major, bin, version, ms: new Map(THREADS.map((t) => [t, []])) }
})

/** One fused-step.ts process on one Node: best ms/step per thread count. */
function runOnce(node) {
  const env = {
    ...process.env,
    BENCH_PROFILE: '0',
    BENCH_STEPS: process.env.BENCH_STEPS ?? '100',
    BENCH_ROUNDS: process.env.BENCH_ROUNDS ?? '2',
  }
  const r = spawnSync(node.bin, ['--import', 'tsx', 'bench/fused-step.ts'], { cwd: pkg, env, encoding: 'utf8' })
  const what = `fused-step.ts on node ${node.version}`
  if (r.status !== 0) throw new Error(`${what} exited ${r.status ?? r.signal}:\n${r.stderr}`)
  for (const t of THREADS) {
    const m = new RegExp(`^${t} thread\\(s\\): ([\\d.]+) ms/step`, 'm').exec(r.stdout)
    if (m === null) throw new Error(`${what} printed no ${t}-thread time:\n${r.stdout}`)
    node.ms.get(t).push(Number(m[1]))
  }
  const build = /simd build: ([\w-]+)/.exec(r.stdout)?.[1] ?? '?'
  const times = THREADS.map((t) => `${t} thread(s) ${node.ms.get(t).at(-1).toFixed(2)}`)
  console.log(`  node ${node.version} (${build}): ${times.join(', ')} ms/step`)
}

const versions = nodes.map((n) => `node ${n.version}`).join(' and ')
const batch = process.env.BENCH_BATCH ?? 32
console.log(`fused training step (batch ${batch}) on ${versions}, ${rounds} alternating processes each`)
for (let round = 0; round < rounds; round++) {
  // Alternate which version goes first, so neither always runs on a warmer (or busier) machine.
  const order = round % 2 === 0 ? nodes : [...nodes].reverse()
  for (const node of order) runOnce(node)
}

const median = (v) => [...v].sort((a, b) => a - b)[v.length >> 1]
const base = nodes[0]
console.log('\nbest ms/step of each version, and the ratio to the baseline (best vs best; median of the round pairs):')
for (const t of THREADS) {
  for (const node of nodes) {
    const best = Math.min(...node.ms.get(t))
    let line = `  ${t} thread(s)  node ${node.version.padEnd(9)} ${best.toFixed(2).padStart(6)} ms/step`
    if (node !== base) {
      const ratio = best / Math.min(...base.ms.get(t))
      const pairs = node.ms.get(t).map((ms, i) => ms / base.ms.get(t)[i])
      const each = pairs.map((p) => p.toFixed(2)).join(' ')
      line += `  ${node.major}/${base.major}: ${ratio.toFixed(2)}x (pairs ${each}, median ${median(pairs).toFixed(2)}x)`
    }
    console.log(line)
  }
}
