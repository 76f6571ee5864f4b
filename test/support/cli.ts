/** The CLI as a separate process, exactly as an operator runs it beside the app. */
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { existsSync, readdirSync, statSync } from 'node:fs'
import { join } from 'node:path'

export const ROOT = join(import.meta.dirname, '../..')
const BUILT = join(ROOT, 'out/main/cli.js')

/** The newest modification time under the folders the CLI is built from. */
function newestSource(): number {
  let newest = 0
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name)
      if (entry.isDirectory()) walk(path)
      else newest = Math.max(newest, statSync(path).mtimeMs)
    }
  }
  for (const dir of ['src/main', 'src/shared', 'src/workers']) walk(join(ROOT, dir))
  return newest
}

/**
 * The built CLI when it is newer than every source it is built from (`npm test` builds
 * first): it starts in half the time, and the suite spawns it hundreds of times. Otherwise
 * the sources through tsx, so a test never runs a stale build.
 */
const CLI = existsSync(BUILT) && statSync(BUILT).mtimeMs >= newestSource() ? [BUILT] : ['--import', 'tsx', join(ROOT, 'src/main/cli.ts')]

export function genops(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [...CLI, ...args], { cwd: ROOT, encoding: 'utf8', timeout: 60_000 })
  return { status: result.status, stdout: result.stdout, stderr: result.stderr }
}

export function genopsInBackground(args: string[]): ChildProcess {
  return spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] })
}

/** The same without blocking this process: for tests whose own servers must answer the CLI meanwhile. `input` is piped to its stdin. */
export function genopsAsync(args: string[], env?: NodeJS.ProcessEnv, input?: string): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [...CLI, ...args],
      { cwd: ROOT, encoding: 'utf8', timeout: 60_000, env: { ...process.env, ...env } },
      (error, stdout, stderr) => {
        resolve({ status: error ? ((error as { code?: number }).code ?? 1) : 0, stdout, stderr })
      },
    )
    if (input !== undefined) {
      // A command that refuses its input stops reading it: the rest of the pipe is not its to take.
      child.stdin!.on('error', (error: NodeJS.ErrnoException) => {
        if (error.code !== 'EPIPE') throw error
      })
      child.stdin!.end(input)
    }
  })
}
