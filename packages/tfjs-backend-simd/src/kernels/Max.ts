import { reduceConfig } from './_reduce'
export const maxConfig = reduceConfig('Max')
