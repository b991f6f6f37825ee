import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'

/** The source maps of the embedded weights would hold a second copy of their base64 text: keep the maps, drop it. */
function dropEmbeddedSources(): void {
  for (const file of readdirSync('dist').filter((f) => f.endsWith('.map'))) {
    const map = JSON.parse(readFileSync(`dist/${file}`, 'utf8')) as { sources: string[]; sourcesContent?: unknown[] }
    const at = map.sources.findIndex((s) => s.endsWith('_pretrained-data.js'))
    if (at < 0 || map.sourcesContent === undefined) continue
    map.sourcesContent[at] = null
    writeFileSync(`dist/${file}`, JSON.stringify(map))
  }
}

// Two entries: the package, and `pretrained` (the shipped weights as a module, generated into src/_pretrained-data.js
// by scripts/embed-pretrained.mjs). splitting: the main entry's lazy import of the weights stays a chunk of its own
// (ESM and CJS), shared with the `pretrained` entry, so apps that never call loadPretrained() never load it.
export default defineConfig(
  packageBuild({
    entry: { index: 'src/index.ts', pretrained: 'src/pretrained-entry.ts' },
    splitting: true,
    onSuccess: async () => dropEmbeddedSources(),
  }),
)
