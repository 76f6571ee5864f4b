/**
 * `genops team-key rotate NEW_FILE`: the profiles' API keys on this store resealed with a new
 * team key (someone who held the old one left the team, or it was copied where it should not
 * be). Local only: keys never travel over the API. The old key is the one the teamKeyFile
 * setting names, as every command that opens keys takes it.
 */
import { resolve } from 'node:path'
import type { Command } from 'commander'
import { CliError, common, print, printJson, withStore, type Common } from './cli-support'
import { MAKE_TEAM_KEY } from './team-key'

export function addTeamKeyCommands(program: Command): void {
  const teamKey = program.command('team-key').description("the team key that seals profiles' API keys where every engine can open them")
  common(teamKey.command('rotate').description('reseal every key sealed with the team key in use with a new team key, all or none'), true)
    .argument('<new-key-file>', `the new team key, a file of mode 0600 (make one with \`${MAKE_TEAM_KEY}\`)`)
    .action(async (file: string, options: Common) => {
      if (options.server) {
        throw new CliError(
          '`genops team-key rotate` does not work with --server: keys never travel over the API; run it where the store and the team key are',
          2,
        )
      }
      const [{ teamKeyFileSetting }, { teamKeyBox, TeamKeyError }, { rotateTeamKey }, { dataDir }, { ResealConflict }] = await Promise.all([
        import('./settings/process'),
        import('./team-key'),
        import('./team-key-rotation'),
        import('./paths'),
        import('./store/reseal-conflict'),
      ])
      const dir = dataDir(options.dataDir)
      const newFile = resolve(file)
      let current: string | undefined
      try {
        current = teamKeyFileSetting(dir)
      } catch (error) {
        throw new CliError((error as Error).message, 2)
      }
      if (current === undefined) {
        throw new CliError('no team key is in use here to open the keys with: set the one they were sealed with (the teamKeyFile setting), then rotate', 2)
      }
      const rotation = await withStore(options, async (store) => {
        try {
          return await rotateTeamKey(store, teamKeyBox(current), teamKeyBox(newFile))
        } catch (error) {
          if (error instanceof TeamKeyError) throw new CliError(error.message, 2)
          if (error instanceof ResealConflict) throw new CliError(error.message)
          throw error
        }
      })
      if (options.json) {
        printJson({ ...rotation, teamKeyFile: newFile })
        return
      }
      if (rotation.resealed.length === 0) print('no profile keeps a key sealed with the team key: nothing to reseal')
      else {
        print(`resealed the API keys of ${rotation.resealed.length} profiles with the team key in ${newFile}: ${rotation.resealed.join(', ')}`)
        print(
          `give every engine this file as its team key and restart it (here: \`genops settings set teamKeyFile ${newFile}\`); until then an engine with the old key holds those profiles' jobs`,
        )
      }
      for (const name of rotation.kept) print(`${name}: its key was sealed by one machine's keychain, not the team key: left as it was`)
    })
}
