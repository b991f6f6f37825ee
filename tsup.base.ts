import type { Options } from 'tsup'

/** Shared tsup settings: ESM + CJS + .d.ts for every package. Keep to options tsdown also understands. */
export function packageBuild(overrides: Options = {}): Options {
  return {
    entry: { index: 'src/index.ts' },
    format: ['esm', 'cjs'],
    platform: 'node',
    target: 'node20',
    dts: true,
    sourcemap: true,
    clean: true,
    ...overrides,
  }
}
