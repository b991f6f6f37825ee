// Lint rules that keep the conventions of CONTRIBUTING.md. Formatting is prettier's job (`pnpm format`).
import js from '@eslint/js'
import stylistic from '@stylistic/eslint-plugin'
import globals from 'globals'
import tseslint from 'typescript-eslint'

const sources = ['packages/*/src/**/*.ts', 'apps/*/src/**/*.ts']
const tests = ['**/*.test.ts', '**/test/**', '**/bench/**', '**/_testing.ts']

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
        { code: 150, ignoreUrls: true, ignoreRegExpLiterals: true, ignoreStrings: true, ignoreTemplateLiterals: true },
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
    rules: {
      // One import-suffix style: relative imports name the module without `.js` (tsup resolves them).
      'no-restricted-syntax': [
        'error',
        {
          selector: 'ImportDeclaration[source.value=/^\\.\\.?\\/.*\\.js$/]',
          message: 'Import relative modules without the .js suffix.',
        },
        {
          selector:
            'ExportNamedDeclaration[source.value=/^\\.\\.?\\/.*\\.js$/], ExportAllDeclaration[source.value=/^\\.\\.?\\/.*\\.js$/]',
          message: 'Re-export relative modules without the .js suffix.',
        },
      ],
    },
  },
  {
    files: sources,
    ignores: tests,
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: 'NewExpression[callee.name="Error"], CallExpression[callee.name="Error"]',
          message: "Throw the package's typed error (src/errors.ts) with a stable code, not a bare Error.",
        },
        {
          selector: 'ImportDeclaration[source.value=/^\\.\\.?\\/.*\\.js$/]',
          message: 'Import relative modules without the .js suffix.',
        },
        {
          selector:
            'ExportNamedDeclaration[source.value=/^\\.\\.?\\/.*\\.js$/], ExportAllDeclaration[source.value=/^\\.\\.?\\/.*\\.js$/]',
          message: 'Re-export relative modules without the .js suffix.',
        },
      ],
    },
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
    // The public surface re-exports public modules only: `_name.ts` modules are private to their package.
    files: ['packages/*/src/index.ts', 'packages/*/src/*.index.ts', 'packages/*/src/index.*.ts', 'apps/*/src/index.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector:
            'ExportNamedDeclaration[source.value=/(^|\\/)_[^/]*$/], ExportAllDeclaration[source.value=/(^|\\/)_[^/]*$/]',
          message: 'index.ts must not export from a private `_module`; move the public part to a public module.',
        },
        {
          selector:
            'ExportNamedDeclaration[source.value=/^\\.\\.?\\/.*\\.js$/], ExportAllDeclaration[source.value=/^\\.\\.?\\/.*\\.js$/]',
          message: 'Re-export relative modules without the .js suffix.',
        },
      ],
    },
  },
)
