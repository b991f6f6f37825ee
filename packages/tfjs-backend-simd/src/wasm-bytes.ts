import { WasmLoadError } from './errors'
import { isNode } from './flags'

/** Where a build's bytes came from, for messages: the embedded module or the URL/path `wasmUrl` gave. */
export interface WasmBytes {
  bytes: Uint8Array
  source: string
}

// Node built-ins through variables: browser bundlers then leave these imports alone (they only run in Node).
const NODE_FS = 'node:fs/promises'
const NODE_URL = 'node:url'

/** WebAssembly's magic number: `\0asm`. */
const MAGIC = [0x00, 0x61, 0x73, 0x6d]

/**
 * The bytes of wasm build `file` (e.g. `simd-shared.wasm`): from `wasmUrl` when given, else from the copy built into
 * the package (a lazily imported module per build, so a page downloads only the build it runs).
 */
export async function wasmBytes(file: string, wasmUrl?: (file: string) => string | URL): Promise<WasmBytes> {
  if (wasmUrl === undefined) return embedded(file)
  let url: string | URL
  try {
    url = wasmUrl(file)
  } catch (cause) {
    throw new WasmLoadError(file, `the wasmUrl option threw for ${file}: ${(cause as Error).message}`, { cause })
  }
  const source = `${String(url)} (from the wasmUrl option)`
  const { bytes, response } = await readUrl(url, source)
  if (!MAGIC.every((b, i) => bytes[i] === b)) {
    throw new WasmLoadError(
      source,
      `expected a WebAssembly module (it starts with \\0asm), found ${describe(bytes, response)}` +
        (looksLikeHtml(bytes, response) ? ': a web page, so the file is not served at this URL' : ''),
    )
  }
  return { bytes, source }
}

async function embedded(file: string): Promise<WasmBytes> {
  const source = `${file} (built into @mnist/backend-simd)`
  let b64: string
  try {
    const { wasmModules } = await import('./_wasm/index')
    const load = wasmModules[file]
    if (load === undefined) {
      throw new WasmLoadError(source, `this copy of the package has no ${file}; pass the wasmUrl option`)
    }
    b64 = (await load()).default
  } catch (cause) {
    if (cause instanceof WasmLoadError) throw cause
    // A bundler or host that lost the chunk: the page can still serve wasm-out/ itself.
    throw new WasmLoadError(
      source,
      `could not import the module that holds it (${(cause as Error).message}); serve the package's wasm-out/ ` +
        'files and pass the wasmUrl option',
      { cause },
    )
  }
  const bin = atob(b64)
  const bytes = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i)
  return { bytes, source }
}

async function readUrl(url: string | URL, source: string): Promise<{ bytes: Uint8Array; response?: Response }> {
  if (isNode && (typeof url !== 'string' || !/^https?:/.test(url))) {
    const { readFile } = (await import(
      /* webpackIgnore: true */ /* @vite-ignore */ NODE_FS
    )) as typeof import('node:fs/promises')
    const { fileURLToPath } = (await import(
      /* webpackIgnore: true */ /* @vite-ignore */ NODE_URL
    )) as typeof import('node:url')
    const path = typeof url === 'string' && !url.startsWith('file:') ? url : fileURLToPath(url)
    try {
      return { bytes: await readFile(path) }
    } catch (cause) {
      throw new WasmLoadError(source, `could not be read: ${(cause as Error).message}`, { cause })
    }
  }
  let res: Response
  try {
    res = await fetch(url)
  } catch (cause) {
    // e.g. a relative URL where there is no page to resolve it against, or the network.
    throw new WasmLoadError(source, `could not be fetched: ${(cause as Error).message}`, { cause })
  }
  let bytes: Uint8Array
  try {
    bytes = new Uint8Array(await res.arrayBuffer())
  } catch (cause) {
    throw new WasmLoadError(source, `could not be fetched: ${(cause as Error).message}`, { cause })
  }
  if (!res.ok) throw new WasmLoadError(source, `could not be fetched: the server answered ${describe(bytes, res)}`)
  return { bytes, response: res }
}

/** `HTTP 404 Not Found, content-type text/html, 512 bytes: "<!doctype html>..."`: what came back. */
function describe(bytes: Uint8Array, res?: Response): string {
  const parts: string[] = []
  if (res !== undefined) {
    parts.push(
      `HTTP ${res.status} ${res.statusText}`.trim(),
      `content-type ${res.headers.get('content-type') ?? '(none)'}`,
    )
  }
  const text = new TextDecoder().decode(bytes.subarray(0, 60)).replace(/\s+/g, ' ').trim()
  parts.push(
    `${bytes.byteLength} bytes${bytes.byteLength > 0 ? `: ${JSON.stringify(bytes.byteLength > 60 ? `${text}...` : text)}` : ''}`,
  )
  return parts.join(', ')
}

function looksLikeHtml(bytes: Uint8Array, res?: Response): boolean {
  if (/\btext\/html\b/i.test(res?.headers.get('content-type') ?? '')) return true
  return /^\s*</.test(new TextDecoder().decode(bytes.subarray(0, 16)))
}
