/**
 * The fingerprint of a failure: its category plus its message with what varies from one
 * occurrence to the next masked (numbers, ids, paths, URLs, quoted values), so the same
 * fault on a thousand jobs is one group, not a thousand. Pure: the same input always gives
 * the same fingerprint, in any process and any store.
 */
import { createHash } from 'node:crypto'

export interface Fingerprinted {
  /** 16 hex digits of the SHA-1 of category and pattern: short enough to type, long enough not to collide. */
  fingerprint: string
  /** The masked message: `request <n> to <str> failed after <n> ms`. */
  pattern: string
}

/**
 * Longest pattern kept. Beyond it messages usually carry a payload (an invalid output, a
 * response body) that would split one fault into a group per job.
 */
export const MAX_PATTERN = 300

// Order matters: a URL or a quoted value may contain a path or numbers, a path an id, so
// the wider shapes are masked first, and numbers last of all.
const MASKS: [RegExp, string][] = [
  // A URL up to the space or quote after it, less the sentence's closing punctuation.
  [/\b[a-z][a-z0-9+.-]*:\/\/[^\s'"`<>]*[^\s'"`<>.,;:!?)\]]/gi, '<url>'],
  [/(?<!\w)"[^"\n]*"(?!\w)|(?<!\w)'[^'\n]*'(?!\w)|`[^`\n]*`/g, '<str>'],
  [/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/gi, '<id>'],
  // Absolute or ./ ../ ~/ paths; a Windows drive path; a relative path ending in a file name.
  [/(?<![\w.<>/-])(?:~|\.{1,2})?(?:\/(?:\.?[\w@%+=-]+(?:\.[\w@%+=-]+)*|\.{1,2}(?![\w.])))+\/?/g, '<path>'],
  [/\b[a-z]:\\[^\s'"`<>]*/gi, '<path>'],
  [/\b[\w.-]+(?:\/[\w.-]+)+\.[a-z][a-z0-9]{0,7}\b/gi, '<path>'],
  [/\b0x[0-9a-f]+\b/gi, '<n>'],
  // Hex ids (trace ids, hashes), and request ids that mix letters and digits (req_01HZX9...).
  [/\b(?=[0-9a-f]*\d)(?=[0-9a-f]*[a-f])[0-9a-f]{8,}\b/gi, '<id>'],
  [/(?<![a-z0-9])(?=[a-z0-9]*\d)(?=[a-z0-9]*[a-z])[a-z0-9]{16,}(?![a-z0-9])/gi, '<id>'],
  [/\d+(?:\.\d+)*/g, '<n>'],
]

export function maskMessage(message: string): string {
  let pattern = message
  for (const [shape, mask] of MASKS) pattern = pattern.replace(shape, mask)
  pattern = pattern.replace(/\s+/g, ' ').trim()
  return pattern.length > MAX_PATTERN ? `${pattern.slice(0, MAX_PATTERN - 1)}…` : pattern
}

export function fingerprint(category: string, message: string): Fingerprinted {
  const pattern = maskMessage(message)
  const digest = createHash('sha1').update(`${category}\n${pattern}`).digest('hex')
  return { fingerprint: digest.slice(0, 16), pattern }
}
