/**
 * How a job's output reads: JSON (an object or an array) pretty and foldable, anything else
 * as the text it is, line breaks kept. Very large outputs are shown as text, cut, with the
 * artifact file holding the whole.
 */

/** Past this many characters the output is cut on screen; its artifact has all of it. */
export const MAX_SHOWN_CHARS = 200_000

export type OutputView = { kind: 'json'; value: unknown } | { kind: 'text'; text: string; cut: boolean } | { kind: 'none' }

export function viewOutput(output: string | null): OutputView {
  if (output === null || output.length === 0) return { kind: 'none' }
  const trimmed = output.trim()
  if (output.length <= MAX_SHOWN_CHARS && /^[[{]/.test(trimmed)) {
    try {
      return { kind: 'json', value: JSON.parse(trimmed) as unknown }
    } catch {
      // Looked like JSON and was not: shown as written.
    }
  }
  return output.length > MAX_SHOWN_CHARS ? { kind: 'text', text: output.slice(0, MAX_SHOWN_CHARS), cut: true } : { kind: 'text', text: output, cut: false }
}

/** A one-line summary of a folded JSON value: `{ 3 keys }`, `[ 12 items ]`. */
export function foldedLabel(value: unknown): string {
  if (Array.isArray(value)) return `[ ${value.length} ${value.length === 1 ? 'item' : 'items'} ]`
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).length
    return `{ ${keys} ${keys === 1 ? 'key' : 'keys'} }`
  }
  return JSON.stringify(value) ?? String(value)
}
