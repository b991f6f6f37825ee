import { reduceConfig } from './_reduce'
export const meanConfig = reduceConfig('Mean')
