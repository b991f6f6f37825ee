import { version } from '../package.json'

/** Version of this package (from its package.json at build time). */
export const VERSION: string = version
