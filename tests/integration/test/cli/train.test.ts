import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bin, OFFLINE_MIRROR, runCli, runCliInterrupted, type CliResult } from './run-cli'

// Runs the built CLI as a user would (build first: pnpm --filter @mnist/cli... build).
// simd is the fast backend every machine here has; override to check another one.
const backend = process.env.MNIST_TEST_BACKEND ?? 'simd'

let out: string
const env = (): NodeJS.ProcessEnv => ({
  ...process.env,
  MNIST_MIRROR: OFFLINE_MIRROR,
  MNIST_DEBUG: '',
  MNIST_OUT_DIR: out,
})

const mnist = (args: string[]): CliResult => runCli(args, { MNIST_OUT_DIR: out }, 300_000)

beforeAll(() => {
  expect(existsSync(bin), `${bin} is missing: build the CLI first`).toBe(true)
  expect(process.env.MNIST_DATA_DIR, 'MNIST_DATA_DIR must point at the real MNIST files').toBeTruthy()
  out = mkdtempSync(resolve(tmpdir(), 'mnist-cli-train-'))
})
afterAll(() => rmSync(out, { recursive: true, force: true }))

describe('mnist train', { timeout: 600_000 }, () => {
  it('--json (backend auto): header and progress on stderr, the last stdout line is the result object', () => {
    const r = mnist(['train', '--limit', '512', '--batch-size', '64', '--test-limit', '500', '--epochs', '1', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const lines = r.stdout.trim().split('\n')
    const result = JSON.parse(lines[lines.length - 1]!) as Record<string, unknown>
    expect(Object.keys(result)).toEqual([
      'testAccuracy',
      'trainAccuracy',
      'loss',
      'params',
      'epochs',
      'backend',
      'seconds',
      'imagesPerSecond',
      'modelDir',
    ])
    expect(result['testAccuracy']).toBeGreaterThanOrEqual(0)
    expect(result['testAccuracy']).toBeLessThanOrEqual(1)
    expect(result['trainAccuracy']).toBeGreaterThan(0)
    expect(result['params']).toBeLessThan(25_000)
    expect(result['epochs']).toBe(1)
    expect(['node-gpu', 'node', 'webgpu', 'simd', 'wasm', 'cpu']).toContain(result['backend'])
    expect(result['seconds']).toBeGreaterThan(0)
    expect(result['imagesPerSecond']).toBeGreaterThan(0)
    const modelDir = result['modelDir'] as string
    expect(modelDir.startsWith(out)).toBe(true)
    expect(readdirSync(modelDir).sort()).toEqual([
      'metadata.json',
      'model.json',
      'optimizer.bin',
      'training.json',
      'weights.bin',
    ])
    // Human output went to stderr: the header like the PyTorch project's, then plain progress lines (not a TTY).
    expect(r.stderr).toMatch(new RegExp(`^backend: ${String(result['backend'])} \\(`, 'm'))
    // Every backend ranked above the one auto took was skipped with a reason (which ones depends on the machine).
    const order = ['node-gpu', 'node', 'webgpu', 'simd', 'wasm', 'cpu']
    for (const b of order.slice(0, order.indexOf(String(result['backend'])))) {
      expect(r.stderr).toMatch(new RegExp(`^ {2}skipped ${b}: .+$`, 'm'))
    }
    expect(r.stderr).toMatch(/^model: \d{2},\d{3} parameters, budget OK \(< 25,000\)$/m)
    expect(r.stderr).toMatch(/^epoch 1\/1 batch 8\/8 loss \d\.\d{4} acc [\d.]+% \d+ img\/s eta \d+s$/m)
  })

  it('without --json prints the header and result on stdout', () => {
    const r = mnist([
      'train',
      '--limit',
      '128',
      '--test-limit',
      '100',
      '--backend',
      backend,
      '--out',
      join(out, 'plain'),
    ])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^backend: /m)
    expect(r.stdout).toMatch(/^test accuracy [\d.]+ % \(train [\d.]+ %, loss [\d.]+\)$/m)
    expect(r.stdout).toMatch(
      new RegExp(`^saved to ${join(out, 'plain')}/\\d{4}-\\d\\d-\\d\\dT\\d\\d-\\d\\d-\\d\\dZ-${backend}$`, 'm'),
    )
  })

  it('prints where the model went as an absolute path when --out is relative', () => {
    const r = runCli(
      ['train', '--limit', '64', '--test-limit', '50', '--backend', backend, '--out', 'rel'],
      {},
      300_000,
      out,
    )
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(
      new RegExp(`^saved to ${join(out, 'rel')}/\\d{4}-\\d\\d-\\d\\dT[\\dT-]+Z-${backend}$`, 'm'),
    )
  })

  it('threads above the limit of @mnist/backend-simd are a usage error naming it, not a slower backend', () => {
    const r = mnist(['train', '--limit', '64', '--threads', '65'])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/--threads expects an integer from 1 to 64, got "65"/)
  })

  it('Ctrl-C writes a resumable checkpoint and exits 130; --resume finishes the run', async () => {
    // The first plain progress line means training is under way.
    const { code, stdout, stderr } = await runCliInterrupted(
      ['train', '--limit', '6400', '--batch-size', '64', '--test-limit', '200', '--backend', backend, '--json'],
      /^epoch 1\/1 batch \d+\/100/m,
      env(),
    )
    expect(code, stderr).toBe(130)
    expect(stderr).toMatch(/interrupted: saving a checkpoint/)
    const stopped = JSON.parse(stdout.trim().split('\n').pop()!) as {
      interrupted: boolean
      step: number
      checkpointDir: string
    }
    expect(stopped.interrupted).toBe(true)
    expect(stopped.step).toBeGreaterThan(0)
    expect(stopped.step).toBeLessThan(100)
    const state = JSON.parse(readFileSync(join(stopped.checkpointDir, 'training.json'), 'utf8')) as {
      complete: boolean
      position: { step: number }
    }
    expect(state.complete).toBe(false)
    expect(state.position.step).toBe(stopped.step)

    const resumed = mnist(['train', '--resume', stopped.checkpointDir, '--backend', backend, '--json'])
    expect(resumed.code, resumed.stderr).toBe(0)
    expect(resumed.stderr).toMatch(new RegExp(`resuming .* at step ${stopped.step}/100`))
    const result = JSON.parse(resumed.stdout.trim().split('\n').pop()!) as { testAccuracy: number; modelDir: string }
    expect(result.testAccuracy).toBeGreaterThan(0.5)
    expect(result.modelDir).not.toBe(stopped.checkpointDir)
  })

  it('rejects bad flag values, naming the flag and the expected range', () => {
    const bad: Array<[string[], RegExp]> = [
      [['--epochs', '0'], /--epochs expects an integer from 1 to 10000, got "0"/],
      [['--epochs', 'two'], /--epochs expects an integer/],
      [['--batch-size', '-3'], /--batch-size expects an integer from 1/],
      [['--lr', '0'], /--lr expects a number greater than 0/],
      [['--seed', '1.5'], /--seed expects an integer/],
      [['--limit', '0'], /--limit expects an integer from 1/],
      [
        ['--backend', 'tpu'],
        /argument 'tpu' is invalid\. Allowed choices are auto, node-gpu, node, webgpu, simd, wasm, cpu/,
      ],
      [['--data-dir', '/x', '--mirror', 'http://127.0.0.1:9/'], /cannot be used with option '--mirror/],
    ]
    for (const [args, message] of bad) {
      const r = mnist(['train', ...args])
      expect(r.code, args.join(' ')).not.toBe(0)
      expect(r.stderr).toMatch(message)
    }
  })

  it('an unavailable explicit backend exits 2 with the reason and the fix', () => {
    // Which backend is unavailable depends on the machine: ask the probe (mnist info) for one.
    const info = JSON.parse(mnist(['info', '--json']).stdout) as {
      backends: { backend: string; available: boolean; reason?: string }[]
    }
    const missing = info.backends.find((b) => !b.available)
    expect(missing, 'every backend runs here: nothing to check').toBeDefined()
    const r = mnist(['train', '--backend', missing!.backend, '--limit', '64'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`backend "${missing!.backend}" is not available: ${missing!.reason}. Fix: `)
  })

  it('--preset best --validation: the preset recipe, evaluated on held-out training images, command in metadata', () => {
    const args = ['train', '--preset', 'best', '--epochs', '1', '--validation', '57000', '--limit', '2048']
    const r = mnist([...args, '--test-limit', '300', '--backend', backend, '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stderr).toContain('2,048 training / 300 validation images (the last of the training set)')
    expect(r.stderr).toMatch(
      /training: 1 epoch x 64 steps, .*, augmentation \(pixel noise on 50 % of images: sigma <= 0\.5, salt-and-pepper <= 20 %\), seed 1/,
    )
    expect(r.stderr).toContain('model: 22,098 parameters')
    const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>
    expect(result.validationAccuracy).toBeGreaterThan(0.3)
    expect(result).not.toHaveProperty('testAccuracy')
    const metadata = JSON.parse(readFileSync(join(result.modelDir as string, 'metadata.json'), 'utf8'))
    expect(metadata.testAccuracy).toBeUndefined()
    expect(metadata.extra).toMatchObject({ preset: 'best', validationImages: 57_000, trainImages: 2048 })
    expect(metadata.extra.command).toBe(`mnist ${args.join(' ')} --test-limit 300 --backend ${backend} --json`)
    expect(mnist(['train', '--preset', 'fastest']).stderr).toMatch(/argument 'fastest' is invalid.*default, best/)
  })

  it('a --limit larger than the dataset names the option and exits 2 (a bad flag value)', () => {
    const r = mnist(['train', '--limit', '70000', '--backend', backend])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/option "limit": expected an integer in \[1, 60000\]/)
  })
})
