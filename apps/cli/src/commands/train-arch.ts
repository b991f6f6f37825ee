import fs from 'node:fs/promises'
import { checkModelConfig, DEFAULT_MODEL_CONFIG, parseModelConfig, type ModelConfig } from '@mnist/model'
import { CliError } from '../errors'

/** An architecture file holds a few layer specs; anything this large is not one. */
const MAX_ARCH_BYTES = 1 << 20

/**
 * `--arch <file.json>`: the `ModelConfig` in the file (or @mnist/model's default for `default`), checked before
 * training starts (fields, shapes, the parameter budget). Every problem is one `CLI_BAD_ARCH` error naming the file
 * and what was expected.
 */
export async function readArchitecture(file: string): Promise<ModelConfig> {
  if (file === 'default') return DEFAULT_MODEL_CONFIG as ModelConfig
  const text = await readText(file)
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch (cause) {
    throw bad(file, `expected JSON (a ModelConfig object), found malformed text: ${(cause as Error).message}`)
  }
  try {
    const config = parseModelConfig(json)
    checkModelConfig(config)
    return config
  } catch (cause) {
    throw bad(file, withoutPrefix((cause as Error).message))
  }
}

async function readText(file: string): Promise<string> {
  let handle: fs.FileHandle | undefined
  try {
    handle = await fs.open(file, 'r')
    const stat = await handle.stat()
    if (!stat.isFile()) throw bad(file, 'expected a JSON file, found something that is not a regular file')
    if (stat.size > MAX_ARCH_BYTES) throw bad(file, `expected a small JSON file, found ${stat.size} bytes`)
    return await handle.readFile('utf8')
  } catch (cause) {
    if (cause instanceof CliError) throw cause
    const code = (cause as NodeJS.ErrnoException).code
    throw bad(file, `expected a readable JSON file (${code ?? (cause as Error).message})`)
  } finally {
    await handle?.close()
  }
}

/** Without a cause: the detail already says what it says, and the error stays one line. */
function bad(file: string, detail: string): CliError {
  return new CliError('CLI_BAD_ARCH', `--arch ${file}: ${detail}`)
}

function withoutPrefix(message: string): string {
  return message.replace(/^\[@mnist\/[\w-]+\] /, '')
}
