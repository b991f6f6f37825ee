import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bin, OFFLINE_MIRROR, runCli } from '../run-cli'

// Stops from outside (SIGTERM, SIGHUP, a second signal, a closed stdout), concurrent runs into one --out, and flag
// values that only fail once training starts: each ends with a documented exit code, one line naming the flag, no
// stack trace, and no run's results lost.

let out: string
beforeAll(() => {
  expect(existsSync(bin), `${bin} is missing: build the CLI first`).toBe(true)
  out = mkdtempSync(resolve(tmpdir(), 'mnist-cli-stop-'))
})
afterAll(() => rmSync(out, { recursive: true, force: true }))

const LONG = ['train', '--limit', '6400', '--batch-size', '64', '--test-limit', '100', '--backend', 'simd']

interface Stopped {
  code: number | null
  stdout: string
  stderr: string
}

/** Starts `mnist ...args`; once stderr matches `when`, calls `act` on the child; resolves at exit. */
function runUntil(args: string[], when: RegExp, act: (child: ReturnType<typeof spawn>) => void): Promise<Stopped> {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, MNIST_MIRROR: OFFLINE_MIRROR, MNIST_DEBUG: '' },
  })
  let stdout = ''
  let stderr = ''
  let acted = false
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString()
    if (!acted && when.test(stderr)) {
      acted = true
      act(child)
    }
  })
  const timer = setTimeout(() => child.kill('SIGKILL'), 120_000)
  return new Promise((done) =>
    child.on('close', (code) => {
      clearTimeout(timer)
      done({ code, stdout, stderr })
    }),
  )
}

const state = (dir: string): { complete: boolean; position: { step: number }; history: unknown[] } =>
  JSON.parse(readFileSync(join(dir, 'training.json'), 'utf8'))
const onlyRun = (dir: string): string => join(dir, readdirSync(dir)[0]!)
const NO_STACK = /\n\s+at |Error: write EPIPE/

describe('signals and pipes', { timeout: 600_000 }, () => {
  for (const [signal, code] of [
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const) {
    it(`${signal} checkpoints like Ctrl-C and exits ${code}; the checkpoint resumes`, async () => {
      const dir = join(out, signal)
      const r = await runUntil([...LONG, '--out', dir, '--json'], /^epoch 1\/1 batch \d+\/100/m, (c) => c.kill(signal))
      expect(r.code, r.stderr).toBe(code)
      expect(r.stderr).not.toMatch(NO_STACK)
      let checkpointDir: string
      if (signal === 'SIGHUP') {
        // The terminal is gone: nothing more is written to stdout or stderr, but the checkpoint is.
        expect(r.stderr).not.toContain('received')
        const runs = readdirSync(dir)
        expect(runs).toHaveLength(1)
        checkpointDir = join(dir, runs[0]!)
        expect(state(checkpointDir).position.step).toBeGreaterThan(0)
      } else {
        expect(r.stderr).toContain(`${signal} received: saving a checkpoint at the end of this step`)
        const stopped = JSON.parse(r.stdout.trim().split('\n').pop()!) as { step: number; checkpointDir: string }
        expect(state(stopped.checkpointDir).position.step).toBe(stopped.step)
        checkpointDir = stopped.checkpointDir
      }
      const resumed = runCli(['train', '--resume', checkpointDir, '--json'], {}, 300_000)
      expect(resumed.code, resumed.stderr).toBe(0)
      expect(resumed.stderr).toMatch(/^backend: simd /m)
    })
  }

  it('two signals at once still exit 143 without a stack trace', async () => {
    const dir = join(out, 'twice')
    const r = await runUntil([...LONG, '--epochs', '50', '--out', dir], /^epoch 1\/50 batch \d+\/100/m, (c) => {
      c.kill('SIGTERM')
      c.kill('SIGTERM')
    })
    expect(r.code).toBe(143)
    expect(r.stderr).not.toMatch(NO_STACK)
  })

  it('a closed stdout (mnist train | head -c1) stops quietly with its checkpoint, exit 141', async () => {
    const dir = join(out, 'pipe')
    const child = spawn(process.execPath, [bin, ...LONG, '--epochs', '2', '--out', dir], {
      env: { ...process.env, MNIST_MIRROR: OFFLINE_MIRROR, MNIST_DEBUG: '' },
    })
    let stderr = ''
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()))
    // Like `head -c1`: read the first chunk of stdout, then close the pipe.
    child.stdout.once('data', () => child.stdout.destroy())
    const code = await new Promise<number | null>((done) => child.on('close', done))
    expect(code, stderr).toBe(141)
    expect(stderr).not.toMatch(NO_STACK)
    const runDir = onlyRun(dir)
    const s = state(runDir)
    expect(s.position.step).toBeGreaterThan(0)
    // Stopped at the first write after the pipe closed: at the latest the epoch line, which comes after its checkpoint.
    if (s.position.step > 100) expect(s.history).toHaveLength(1)
    const resumed = runCli(['train', '--resume', runDir, '--json'], {}, 300_000)
    expect(resumed.code, resumed.stderr).toBe(0)
  })
})

describe('concurrent runs into one --out', { timeout: 600_000 }, () => {
  it('three runs that all want the same folder name each keep their own model', async () => {
    const dir = join(out, 'sweep')
    // Take every name of the next two minutes, so every run collides (the same as starting in the same second).
    const now = Date.now()
    for (let s = 0; s < 120; s++) {
      const stamp = new Date(now + s * 1000)
        .toISOString()
        .replace(/\.\d+Z$/, 'Z')
        .replace(/:/g, '-')
      mkdirSync(join(dir, `${stamp}-simd`), { recursive: true })
    }
    const runs = [1, 2, 3].map((seed) =>
      runUntil(
        [
          'train',
          '--limit',
          '128',
          '--test-limit',
          '50',
          '--backend',
          'simd',
          '--seed',
          String(seed),
          '--json',
          '--out',
          dir,
        ],
        /$^/,
        () => undefined,
      ),
    )
    const results = await Promise.all(runs)
    const dirs = results.map((r) => {
      expect(r.code, r.stderr).toBe(0)
      return (JSON.parse(r.stdout.trim().split('\n').pop()!) as { modelDir: string }).modelDir
    })
    expect(new Set(dirs).size).toBe(3)
    dirs.forEach((d, i) => {
      expect(d).toMatch(/Z-simd-\d+$/)
      const saved = JSON.parse(readFileSync(join(d, 'training.json'), 'utf8')) as { config: { seed: number } }
      expect(saved.config.seed).toBe(i + 1)
    })
  })
})

describe('flag values found unusable at the start', { timeout: 600_000 }, () => {
  it('an --out that cannot be written exits 2 before training, naming --out', () => {
    const file = join(out, 'a-file')
    writeFileSync(file, 'x')
    const started = Date.now()
    const r = runCli(['train', '--limit', '64', '--backend', 'simd', '--out', join(file, 'models')])
    expect(r.code, r.stderr).toBe(2)
    expect(r.stderr).toMatch(/^error: \[@mnist\/train\] option "outDir": .*a-file\/models .*\(flag --out\)$/m)
    expect(r.stderr).not.toMatch(/^epoch /m)
    expect(r.stderr.split('\n').filter((l) => l.startsWith('error:'))).toHaveLength(1)
    expect(Date.now() - started).toBeLessThan(30_000)
  })

  it('an absurd --batch-size exits 2 at once naming --batch-size on any backend, and leaves no run folder', () => {
    for (const backend of ['simd', 'wasm']) {
      const dir = join(out, `huge-batch-${backend}`)
      const started = Date.now()
      const r = runCli(['train', '--limit', '1000', '--batch-size', '65536', '--backend', backend, '--out', dir])
      expect(r.code, r.stderr).toBe(2)
      expect(r.stderr).toMatch(/option "batchSize": expected at most \d+ images for this network/)
      expect(r.stderr).toMatch(/\(flag --batch-size\)/)
      expect(r.stderr).not.toMatch(NO_STACK)
      expect(existsSync(dir) ? readdirSync(dir) : []).toEqual([])
      // Refused from an estimate before anything is allocated (stock wasm used to grow to ~3.7 GB first).
      expect(Date.now() - started).toBeLessThan(30_000)
    }
  })

  it('a hand-edited position in training.json is refused', async () => {
    const dir = join(out, 'edited')
    const r = await runUntil([...LONG, '--out', dir, '--json'], /^epoch 1\/1 batch \d+\/100/m, (c) => c.kill('SIGINT'))
    expect(r.code, r.stderr).toBe(130)
    const runDir = onlyRun(dir)
    const file = join(runDir, 'training.json')
    const skip = (_: string, n: string): string => `"step": ${Number(n) + 50}`
    writeFileSync(file, readFileSync(file, 'utf8').replace(/"step": (\d+)/, skip))
    const resumed = runCli(['train', '--resume', runDir])
    expect(resumed.code).toBe(1)
    expect(resumed.stderr).toMatch(/training\.json: was changed after it was written/)
  })
})
