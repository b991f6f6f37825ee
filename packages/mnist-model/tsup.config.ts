import { defineConfig } from 'tsup'
import { packageBuild } from '../../tsup.base'

// Two entries: the package, and `pretrained` (the shipped weights as a module, generated into src/_pretrained-data.js
// by scripts/embed-pretrained.mjs). splitting: the main entry's lazy import of the weights stays a chunk of its own
// (ESM and CJS), shared with the `pretrained` entry, so apps that never call loadPretrained() never load it.
export default defineConfig(
  packageBuild({ entry: { index: 'src/index.ts', pretrained: 'src/pretrained-entry.ts' }, splitting: true }),
)
