// The bundle the packages' browser-entry tests inspect: esbuild for `platform: 'browser'`, ESM, in memory, with the
// metafile (what went in, what each file imports). One place, so every package checks its entry the same way.
import { build, type BuildOptions, type Message, type OutputFile } from 'esbuild'

export interface BrowserBundle {
  errors: Message[]
  /** The files bundled in (metafile inputs, paths relative to the working directory). */
  inputs: string[]
  /** Every import path those files make (bundled or left external). */
  imports: string[]
  outputs: OutputFile[]
  /** The text of the first output (the entry's bundle). */
  code: string
}

/** An entry file, or module source with the folder its imports resolve from (as a consumer's project would). */
export type BundleEntry = string | { contents: string; resolveDir: string }

export async function bundleForBrowser(
  entry: BundleEntry,
  options: Pick<BuildOptions, 'external' | 'splitting' | 'outdir'> = {},
): Promise<BrowserBundle> {
  const result = await build({
    ...(typeof entry === 'string' ? { entryPoints: [entry] } : { stdin: entry }),
    bundle: true,
    platform: 'browser',
    format: 'esm',
    write: false,
    metafile: true,
    logLevel: 'silent',
    ...options,
  })
  const files = Object.entries(result.metafile.inputs)
  return {
    errors: result.errors,
    inputs: files.map(([file]) => file),
    imports: files.flatMap(([, input]) => input.imports.map((i) => i.path)),
    outputs: result.outputFiles,
    code: result.outputFiles[0]?.text ?? '',
  }
}
