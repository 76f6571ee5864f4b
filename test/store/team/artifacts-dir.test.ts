/**
 * The artifactsDir setting: outputs written outside the 0700 data directory stay owner-only
 * (0700 folders, 0600 files), and a relative value in settings.json is the data directory's,
 * not the directory the engine happened to start in (the desktop app's is "/"). Both were
 * wrong at first; a hostile review found them.
 */
import { spawnSync } from 'node:child_process'
import { existsSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { genops, ROOT } from '../../support/cli'
import { freePort } from '../../support/ports'
import { tempDir } from '../../support/temp'

const TSX = fileURLToPath(import.meta.resolve('tsx'))

/** The CLI started from `cwd`, as a service manager or a desktop launcher would start it. */
function genopsFrom(cwd: string, args: string[]) {
  const result = spawnSync(process.execPath, ['--import', TSX, join(ROOT, 'src/main/cli.ts'), ...args], { cwd, encoding: 'utf8', timeout: 90_000 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

function enqueueTwo(dataDir: string): void {
  const file = join(tempDir(), 'jobs.jsonl')
  writeFileSync(file, '{"prompt":"one","provider":"sim"}\n{"prompt":"two","provider":"sim"}\n')
  expect(genops(['enqueue', file, '--data-dir', dataDir]).status).toBe(0)
}

function walk(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    return entry.isDirectory() ? [path, ...walk(path)] : [path]
  })
}

describe('the artifacts directory', () => {
  it('keeps outputs owner-only outside the data directory, as inside it', { timeout: 120_000 }, async () => {
    const dataDir = tempDir()
    const artifacts = join(tempDir(), 'team-artifacts')
    enqueueTwo(dataDir)
    const run = genops(['run', '--until-empty', '--data-dir', dataDir, '--artifacts-dir', artifacts, '--metrics-port', String(await freePort())])
    expect(run.status).toBe(0)
    const written = walk(artifacts)
    expect(written.some((path) => path.endsWith('.txt'))).toBe(true)
    // Today: the folders 0755 and every output and .meta.json 0644 (umask 022): any local user reads the prompts' answers.
    for (const path of [artifacts, ...written]) expect({ path, open: statSync(path).mode & 0o077 }).toEqual({ path, open: 0 })
  })

  it('takes a relative artifactsDir in settings.json against the data directory, not the cwd', { timeout: 120_000 }, async () => {
    const dataDir = tempDir()
    const elsewhere = tempDir()
    // The worker threads load tsx from the cwd: lend them the project's packages (a link, removed with the folder).
    symlinkSync(join(ROOT, 'node_modules'), join(elsewhere, 'node_modules'))
    writeFileSync(join(dataDir, 'settings.json'), JSON.stringify({ artifactsDir: 'outputs' }))
    enqueueTwo(dataDir)
    const run = genopsFrom(elsewhere, ['run', '--until-empty', '--data-dir', dataDir, '--metrics-port', String(await freePort())])
    expect(run.stderr).toBe('')
    // Today: the files land in <cwd>/outputs.
    expect(existsSync(join(elsewhere, 'outputs'))).toBe(false)
    expect(existsSync(join(dataDir, 'outputs'))).toBe(true)
  })
})
