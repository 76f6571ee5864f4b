/**
 * `genops cache stats|clear`: the response cache (src/main/cache) as the store keeps it.
 * Entries are never evicted behind the operator's back, so this is where they go: all of
 * them, or those made longer ago than `--older-than`. Safe beside a running engine: a clear
 * is one short transaction, and a job already answered keeps its output.
 */
import type { Command } from 'commander'
import type { CacheStats } from '../shared/cache'
import { common, duration, print, printJson, withQueue, type Common } from './cli-support'

/** Bytes as an operator reads them: 0 B, 12.3 KiB, 4.5 MiB. */
export function sizeText(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = bytes
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${units[unit]}`
}

/** One line: what the cache holds, and what it has saved. */
export function cacheLine(stats: CacheStats): string {
  const entries = `${stats.entries} ${stats.entries === 1 ? 'entry' : 'entries'}`
  const oldest = stats.oldestAt === null ? '' : `, oldest ${new Date(stats.oldestAt).toISOString()}`
  return `response cache: ${entries}, ${sizeText(stats.bytes)}${oldest}; ${stats.hits} hits saved $${stats.savedUsd.toFixed(6)} (genops cache clear [--older-than 30d])`
}

export function addCacheCommands(program: Command): void {
  const cache = program.command('cache').description('the response cache: completed answers reused for identical requests')

  common(cache.command('stats').description('entries, their size, hits and what they saved'), true).action(async (options: Common) => {
    const stats = await withQueue(options, (h) => h.cacheStats({}))
    if (options.json) printJson(stats)
    else print(cacheLine(stats))
  })

  common(cache.command('clear').description('remove cached answers: all, or those made longer ago than --older-than'), true)
    .option('--older-than <duration>', 'only entries made longer ago than this, like 30d', duration)
    .action(async (options: Common & { olderThan?: number }) => {
      const result = await withQueue(options, (h) => h.clearCache({ olderThanMs: options.olderThan }))
      if (options.json) printJson(result)
      else print(`removed ${result.removed} cached ${result.removed === 1 ? 'answer' : 'answers'} (${sizeText(result.bytes)})`)
    })
}
