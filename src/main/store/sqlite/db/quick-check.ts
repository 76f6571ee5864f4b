/**
 * `PRAGMA quick_check`, read as a list of problems: none for a sound file. SQLite answers
 * "ok", or rows that may each hold several lines under a "*** in database main ***" heading.
 */
import type { Database } from 'better-sqlite3'

export function quickCheck(db: Database, maxProblems: number): string[] {
  const rows = (db.pragma(`quick_check(${Math.max(1, Math.floor(maxProblems))})`) as { quick_check: string }[]).map((row) => row.quick_check)
  if (rows.length === 1 && rows[0] === 'ok') return []
  return rows.flatMap((row) => row.split('\n')).filter((line) => line.trim() !== '' && !line.startsWith('*** in database'))
}
