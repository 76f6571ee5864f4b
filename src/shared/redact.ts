/**
 * Redaction: masks API keys, tokens and credentials wherever they appear in text, by their
 * shape and by the name in front of them, not only under field names we know. Logs, span
 * attributes and the diagnostic bundle all pass through these two functions, so a key that
 * a provider echoes in an error message is masked the same way everywhere.
 *
 * The masks never swallow a quote or a backslash: run over a JSON line, the line stays JSON.
 */

export const REDACTED = '[REDACTED]'

/** A value after a secret's name: up to a quote, a space, a separator or a closing bracket. */
const VALUE = String.raw`(?!\[REDACTED\])[^\s"'\\&,;<>(){}\[\]]+`

/**
 * Names whose value is a secret, as `name=value`, `name: value` or `"name":"value"`. Bare
 * `key` and `token` count only as whole words: `idempotency_key` and `outputTokens` do not.
 */
const SECRET_NAMES = [
  String.raw`(?:x-)?api[_-]?key`,
  String.raw`x-goog-api-key`,
  String.raw`(?:access|secret|private)[_-]?key`,
  String.raw`(?:access|refresh|id|auth|bearer|session)[_-]?token`,
  String.raw`client[_-]?secret`,
  String.raw`(?:proxy-)?authorization`,
  'password',
  'passwd',
  'secret',
  'token',
  'key',
].join('|')

interface Mask {
  pattern: RegExp
  replace: string
}

/** In order: a name's whole value goes first, so an Authorization value's scheme and token go together. */
const MASKS: Mask[] = [
  {
    // `apiKey: "sk-..."`, `token=abc`, `Authorization: Bearer abc`, `"x-api-key":"abc"`.
    pattern: new RegExp(String.raw`(?<![A-Za-z0-9_])((?:${SECRET_NAMES})["']?\s*[:=]\s*["']?)(?:(?:Bearer|Basic|Token|Bot)\s+)?${VALUE}`, 'gi'),
    replace: `$1${REDACTED}`,
  },
  // A bearer credential wherever it stands (`Basic` is left to the header's name: it is also a word).
  { pattern: new RegExp(String.raw`\bBearer\s+${VALUE}`, 'g'), replace: `Bearer ${REDACTED}` },
  // OpenAI (sk-, sk-proj-), Anthropic (sk-ant-) and look-alikes, including a key masked half-way (sk-abc****wxyz).
  { pattern: /\bsk-[A-Za-z0-9_*-]{8,}/g, replace: REDACTED },
  // GitHub, Hugging Face, Slack, Google and AWS access keys.
  { pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{20,}|hf_[A-Za-z0-9]{20,}|xox[abprs]-[A-Za-z0-9-]{10,}|AIza[0-9A-Za-z_-]{30,}|AKIA[0-9A-Z]{16})/g, replace: REDACTED },
  // JSON Web Tokens: three base64url parts, the first a JSON header.
  { pattern: /\beyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}/g, replace: REDACTED },
  // Credentials in a URL: https://user:password@host.
  { pattern: /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@"'\\]+:)[^\s@/"'\\]+@/gi, replace: `$1${REDACTED}@` },
]

/**
 * One test for all the masks: most text (model names, span names, a job's output) holds
 * nothing secret, and then costs one scan instead of one per mask.
 */
const ANY = new RegExp(MASKS.map(({ pattern }) => pattern.source).join('|'), 'i')

/** The text with every credential masked. */
export function redact(text: string): string {
  if (text.length < 8 || !ANY.test(text)) return text
  let out = text
  for (const { pattern, replace } of MASKS) out = out.replace(pattern, replace)
  return out
}

/** Field names whose value is masked whole, whatever it looks like. */
const SECRET_FIELD = new RegExp(`^(?:${SECRET_NAMES}|cookie|set-cookie|apikeys?|secrets?|credentials?)$`, 'i')

/** Deep enough for any log record or config; deeper is cut rather than walked. */
const MAX_DEPTH = 8

/**
 * A copy of the value with credentials masked: strings through `redact`, fields named like a
 * secret replaced whole, errors as their name, message and stack (masked). Arrays and plain
 * objects are copied; numbers, booleans and null are kept.
 */
export function redactValue(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redact(value)
  if (typeof value !== 'object' || value === null) return value
  if (depth >= MAX_DEPTH) return '[...]'
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1))
  const source =
    value instanceof Error ? { ...value, type: value.name, message: value.message, stack: value.stack, cause: value.cause } : (value as Record<string, unknown>)
  const copy: Record<string, unknown> = {}
  for (const [name, field] of Object.entries(source)) {
    if (field === undefined) continue
    copy[name] = SECRET_FIELD.test(name) && field !== null && typeof field !== 'boolean' ? REDACTED : redactValue(field, depth + 1)
  }
  return copy
}

/** Environment variables whose values are secrets however they look: OPENAI_API_KEY, GENOPS_TOKEN, a proxy's _PASSWORD. */
const SECRET_VARIABLE = /(?:_API_KEY|_TOKEN|_SECRET|_PASSWORD)$/i

/** The secret values among an environment's variables (8 characters or more: shorter would mask ordinary words). */
export function secretValues(env: Readonly<Record<string, string | undefined>>): string[] {
  return Object.entries(env)
    .filter(([name, value]) => SECRET_VARIABLE.test(name) && value !== undefined && value.trim().length >= 8)
    .map(([, value]) => value!.trim())
}

/** `redact`, then each of the given secret values masked wherever it appears, whatever its shape. */
export function redactWith(text: string, secrets: readonly string[]): string {
  let masked = redact(text)
  for (const secret of secrets) if (masked.includes(secret)) masked = masked.replaceAll(secret, REDACTED)
  return masked
}

/**
 * Keys this process holds beyond its environment: a profile's key from its key file or the
 * keychain. Whatever their shape (a gateway's `gwkey.9341fa…` looks like no known key),
 * each is masked by value wherever text leaves the process, like the environment's.
 */
const held = new Set<string>()

/** Remembers a key to mask; each line of it counts on its own (8 characters or more, as for the environment). */
export function holdSecret(value: string): void {
  for (const line of value.split(/\r?\n/)) if (line.trim().length >= 8) held.add(line.trim())
}

/** Masks known credentials: by shape, by the environment's secret values, and by every key held. */
export interface SecretMask {
  mask(text: string): string
  /**
   * Only the keys' own values: for a model's output, where text that merely looks like a
   * credential (`token=…` in an answer about tokens) is the answer, not a leak.
   */
  maskValues(text: string): string
}

export function secretMask(env: Readonly<Record<string, string | undefined>>): SecretMask {
  const fromEnvironment = secretValues(env)
  const byValue = (text: string): string => {
    let masked = text
    for (const secret of fromEnvironment) if (masked.includes(secret)) masked = masked.replaceAll(secret, REDACTED)
    for (const secret of held) if (masked.includes(secret)) masked = masked.replaceAll(secret, REDACTED)
    return masked
  }
  return {
    mask: (text) => byValue(redact(text)),
    maskValues: byValue,
  }
}
