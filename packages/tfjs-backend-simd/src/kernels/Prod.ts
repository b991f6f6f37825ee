import { reduceConfig } from './_reduce'
export const prodConfig = reduceConfig('Prod')
