/**
 * Many rows in one statement: each column goes to the server as one array parameter and
 * comes back as rows through unnest(...), so a write costs one round trip whatever its size.
 */

/** `unnest($first::type[], ...)`: one array parameter per column, numbered from `first`. */
export function unnestOf(types: readonly string[], first: number): string {
  return `unnest(${types.map((type, i) => `$${first + i}::${type}[]`).join(', ')})`
}

/** Rows to one array per column, in the order unnestOf numbers them. */
export function columnsOf(rows: readonly (readonly unknown[])[], width: number): unknown[][] {
  const columns = Array.from({ length: width }, () => new Array<unknown>(rows.length))
  rows.forEach((row, r) => row.forEach((value, c) => (columns[c]![r] = value)))
  return columns
}
