/**
 * Files written whole or not at all: the content goes to a hidden partial file beside the
 * target, renamed over it once complete (one file system, so the rename is atomic). The
 * partial's name carries the writing process's pid, so a partial left by a writer that died
 * (kill -9 mid-export) can be told from one still being written, and removed.
 */
import { randomBytes } from 'node:crypto'
import { readdir, rm } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { processIsGone } from './queue/lease-owner'

// .<target's name>.<pid>-<8 hex>.part
const PARTIAL = /^\.(.+)\.(\d+)-[0-9a-f]{8}\.part$/

/** Where a writer of `target` puts its content until it is complete. */
export function partialPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}-${randomBytes(4).toString('hex')}.part`)
}

/** The target a partial file of this name was for, when its writer's process is gone; null otherwise. */
export function abandonedTarget(name: string): string | null {
  const match = PARTIAL.exec(name)
  return match && processIsGone(Number(match[2])) ? match[1]! : null
}

/**
 * Removes the partial files in `dir` that dead writers left; only those for `target` when
 * one is named (a folder the operator chose holds other people's files). Answers how many.
 */
export async function removeAbandonedPartials(dir: string, target?: string): Promise<number> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch {
    return 0
  }
  let removed = 0
  for (const name of names) {
    const of = abandonedTarget(name)
    if (of === null || (target !== undefined && of !== basename(target))) continue
    await rm(join(dir, name), { force: true })
    removed++
  }
  return removed
}
