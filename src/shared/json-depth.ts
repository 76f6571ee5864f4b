/**
 * How deep parsed JSON may nest. zod and every other recursive walk over a value overflow
 * the stack a few thousand levels down, and no job, config or API call needs more than a
 * handful: whatever reads JSON from outside (the HTTP API, prompt files) refuses deeper
 * values before anything recursive sees them. The walk here keeps its own stack, so it
 * never overflows itself.
 */

/** Levels of objects and arrays a value may hold: `{}` is one, `{"a":[1]}` two. */
export const MAX_JSON_DEPTH = 64

/** True when `value` (as JSON.parse returns it) has objects or arrays nested deeper than `limit`. */
export function nestedDeeperThan(value: unknown, limit = MAX_JSON_DEPTH): boolean {
  const pending: [unknown, number][] = [[value, 0]]
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [current, depth] = next
    if (typeof current !== 'object' || current === null) continue
    if (depth + 1 > limit) return true
    for (const child of Array.isArray(current) ? current : Object.values(current)) {
      if (typeof child === 'object' && child !== null) pending.push([child, depth + 1])
    }
  }
  return false
}

/** Why `value` is refused, in words for the operator, or null when it nests no deeper than `limit`. */
export function nestingProblem(value: unknown, limit = MAX_JSON_DEPTH): string | null {
  return nestedDeeperThan(value, limit) ? `nested deeper than ${limit} levels` : null
}
