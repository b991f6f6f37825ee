import type { Command } from 'commander'

// Placeholder until its issue lands: the command exists so --help lists it, and says plainly that it is not built yet.
export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('(not yet available)')
    .allowUnknownOption()
    .action(() => {
      throw Object.assign(new Error('"mnist info" is not implemented yet'), { exitCode: 1 })
    })
}
