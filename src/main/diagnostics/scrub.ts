/**
 * What every file of a bundle passes through before it is zipped: the same redaction as the
 * log (shared/redact by shape and by name, then the literal values of the keys and tokens in
 * this process's environment, which need not look like keys). A bundle is sent to other people:
 * nothing leaves unmasked, even text that was masked once already when it was written.
 */
import { redactValue, secretMask } from '../../shared/redact'

export interface Scrubber {
  text(text: string): string
  /** Pretty JSON of the value, masked field by field and then as text (a key may sit in any string). */
  json(value: unknown): string
}

export function scrubber(env: NodeJS.ProcessEnv = process.env): Scrubber {
  // Read once per bundle, like the logger reads them once per log.
  const secrets = secretMask(env)
  const text = (value: string) => secrets.mask(value)
  return {
    text,
    json: (value) => `${text(JSON.stringify(redactValue(value), null, 2))}\n`,
  }
}
