/** Durations as operators type them on the command line: `500ms`, `30s`, `5m`, `2h`, `7d`. */
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const

/** Parses a duration into milliseconds; throws with the accepted forms when it cannot. */
export function parseDuration(text: string): number {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/.exec(text)
  if (!match) throw new Error(`"${text}" is not a duration: use a number and a unit, like 500ms, 30s, 5m, 2h or 7d`)
  return Math.round(Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS])
}
