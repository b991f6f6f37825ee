import { spawn, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

/** The built executable of @mnist/cli, found through its package.json `bin` (turbo builds it before `test`). */
function cliBin(): string {
  const manifest = createRequire(import.meta.url).resolve('@mnist/cli/package.json')
  const { bin } = JSON.parse(readFileSync(manifest, 'utf8')) as { bin: { mnist: string } }
  return path.join(path.dirname(manifest), bin.mnist)
}

/** The built executable: the CLI tests run what users run. */
export const bin = cliBin()

/** No network in tests: a mirror nobody listens on. */
export const OFFLINE_MIRROR = 'http://127.0.0.1:9/'

export interface CliResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs `mnist ...args` as a child process, offline and without MNIST_DEBUG (so errors must read without a stack). */
export function runCli(args: string[], env: NodeJS.ProcessEnv = {}, timeout = 120_000, cwd?: string): CliResult {
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    timeout,
    ...(cwd !== undefined ? { cwd } : {}),
    env: { ...process.env, MNIST_MIRROR: OFFLINE_MIRROR, MNIST_DEBUG: '', ...env },
  })
  return { code: r.status, stdout: r.stdout, stderr: r.stderr }
}

/**
 * Runs `mnist ...args` and sends SIGINT once stderr shows a line matching `when` (e.g. the first progress line:
 * training is under way); resolves when the process exits.
 */
export async function runCliInterrupted(args: string[], when: RegExp, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const child = spawn(process.execPath, [bin, ...args], {
    env: { ...process.env, MNIST_MIRROR: OFFLINE_MIRROR, MNIST_DEBUG: '', ...env },
  })
  let stdout = ''
  let stderr = ''
  let sent = false
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()))
  child.stderr.on('data', (b: Buffer) => {
    stderr += b.toString()
    if (!sent && when.test(stderr)) {
      sent = true
      child.kill('SIGINT')
    }
  })
  const code = await new Promise<number | null>((done) => child.on('exit', (c) => done(c)))
  return { code, stdout, stderr }
}
