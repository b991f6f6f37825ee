import { listBackends, type BackendStatus } from '@mnist/backends'
import { runtimeVersions } from '@mnist/train'
import type { Command } from 'commander'
import { cliVersion } from '../version'
import { threadsOption } from '../flags'
import { endOfLifeNote, nodeSupport } from '../node-support'

interface InfoFlags {
  threads?: number
  json?: boolean
}

/** `mnist info`: versions, and for every backend whether it runs here (on what) or why not (and the fix). */
export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('versions, and which training backends work on this machine (and why the others do not)')
    .addOption(threadsOption('threads for the simd and wasm backends'))
    .option('--json', 'print one JSON object on stdout')
    .action(async (flags: InfoFlags) => {
      const versions: Record<string, string> = { '@mnist/cli': cliVersion(), ...runtimeVersions() }
      const backends = await listBackends(flags.threads !== undefined ? { threads: flags.threads } : {})
      const auto = backends.find((b) => b.available)?.backend ?? null
      const node = nodeSupport(process.versions.node)
      if (flags.json) {
        const info = { versions, platform: `${process.platform} ${process.arch}`, auto, backends, node }
        process.stdout.write(`${JSON.stringify(info)}\n`)
        return
      }
      const out: string[] = []
      out.push(`mnist ${versions['@mnist/cli']} on node ${versions['node']} (${process.platform} ${process.arch})`)
      const note = endOfLifeNote(node)
      if (note != null) out.push(note)
      out.push('')
      out.push('packages:')
      const width = Math.max(...Object.keys(versions).map((k) => k.length))
      for (const [name, version] of Object.entries(versions)) {
        if (name === 'node' || name === '@mnist/cli') continue
        out.push(`  ${name.padEnd(width)}  ${version}`)
      }
      out.push('')
      out.push('backends (--backend auto takes the first available, in this order):')
      for (const b of backends) out.push(...describe(b))
      out.push('')
      out.push(`auto: ${auto ?? 'none'}`)
      process.stdout.write(`${out.join('\n')}\n`)
    })
}

function describe(b: BackendStatus): string[] {
  const name = b.backend.padEnd(8)
  if (!b.available) return [`  ${name}  no   ${b.reason}`, `  ${' '.repeat(8)}       fix: ${b.fix}`]
  const lines = [`  ${name}  yes  ${b.device}`]
  if (b.features && Object.keys(b.features).length > 0) {
    const parts = Object.entries(b.features).map(
      ([k, v]) => `${k} ${typeof v === 'boolean' ? (v ? 'yes' : 'no') : String(v)}`,
    )
    lines.push(`  ${' '.repeat(8)}       features: ${parts.join(', ')}`)
  }
  return lines
}
