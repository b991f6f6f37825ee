import { existsSync } from 'node:fs'
import { describe, expect, it } from 'vitest'
import { bin, runCli, type CliResult } from './run-cli'

const mnist = (args: string[]): CliResult => runCli(args)

describe('mnist info', { timeout: 120_000 }, () => {
  it('lists versions and every backend with its status', () => {
    expect(existsSync(bin), `${bin} is missing: build the CLI first`).toBe(true)
    const r = mnist(['info'])
    expect(r.code, r.stderr).toBe(0)
    // The CLI runs on the test's own Node (process.execPath), whichever version that is.
    const node = process.versions.node.replace(/\./g, '\\.')
    const platform = `${process.platform} ${process.arch}`
    expect(r.stdout).toMatch(new RegExp(`^mnist \\d+\\.\\d+\\.\\d+ on node ${node} \\(${platform}\\)\n`))
    const eol = /^note: Node \d+ reached its end of life on \d{4}-\d\d-\d\d \(no more security fixes\)/m
    // The text's note and --json's node.pastEndOfLife agree (the dates themselves: node-support.test.ts in the CLI).
    const support = JSON.parse(mnist(['info', '--json']).stdout) as { node: { pastEndOfLife: boolean } }
    if (support.node.pastEndOfLife) expect(r.stdout).toMatch(eol)
    else expect(r.stdout).not.toMatch(eol)
    expect(r.stdout).toMatch(/^ {2}@tensorflow\/tfjs-core +4\.22\.0$/m)
    expect(r.stdout).toMatch(/^ {2}@mnist\/train +\d/m)
    for (const b of ['node-gpu', 'node', 'webgpu', 'simd', 'wasm', 'cpu'])
      expect(r.stdout).toMatch(new RegExp(`^ {2}${b} +(yes|no) `, 'm'))
    // What is available depends on the machine (tfjs-node's addon, a GPU): the text must agree with the probe.
    const json = JSON.parse(mnist(['info', '--json']).stdout) as {
      auto: string
      backends: { backend: string; available: boolean }[]
    }
    for (const b of json.backends)
      expect(r.stdout).toMatch(new RegExp(`^ {2}${b.backend} +${b.available ? 'yes' : 'no'} `, 'm'))
    // A fix is printed for each backend that is not available here; `auto` is what --json says, an available one.
    if (json.backends.some((b) => !b.available)) expect(r.stdout).toMatch(/^ +fix: /m)
    expect(r.stdout).toMatch(/^ {2}cpu +yes +JavaScript/m)
    expect(json.backends.find((b) => b.backend === json.auto)?.available).toBe(true)
    expect(r.stdout).toMatch(new RegExp(`^auto: ${json.auto}$`, 'm'))
  })

  it('--json gives the same as one object', () => {
    const r = mnist(['info', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const info = JSON.parse(r.stdout) as {
      versions: Record<string, string>
      platform: string
      auto: string
      node: { version: string; major: number; endOfLife: string | null; pastEndOfLife: boolean; tested: boolean }
      backends: { backend: string; available: boolean; reason?: string; fix?: string; features?: object }[]
    }
    expect(info.versions['@tensorflow/tfjs-core']).toBe('4.22.0')
    expect(info.versions['node']).toBe(process.versions.node)
    expect(info.platform).toBe(`${process.platform} ${process.arch}`)
    expect(info.node.version).toBe(process.versions.node)
    expect(info.node.major).toBe(Number(process.versions.node.split('.')[0]))
    expect(typeof info.node.pastEndOfLife).toBe('boolean')
    expect(info.backends.map((b) => b.backend)).toEqual(['node-gpu', 'node', 'webgpu', 'simd', 'wasm', 'cpu'])
    const simd = info.backends.find((b) => b.backend === 'simd')!
    if (simd.available) expect(simd.features).toHaveProperty('simd')
    for (const b of info.backends.filter((x) => !x.available)) expect(b.reason && b.fix).toBeTruthy()
  })
})
