/**
 * Names that come from outside (a dropped file's name, a batch named after it) are shown in
 * terminals, logs and the window. A control character in one could move the cursor, recolour
 * a terminal, set its title (ANSI and OSC escapes), or start a line that reads like another
 * `file:line: reason`; a bidirectional override could show a name backwards. Such characters
 * are written as visible escapes instead (`\x1b`, `\n`, `\u202e`), so the name stays one
 * line of plain text and still tells the operator what was there.
 */

/** C0 and C1 controls, DEL, and the bidirectional formatting characters: matching control characters is the point here. */
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g

const SHORT: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' }

const escapeOne = (char: string): string => {
  const code = char.charCodeAt(0)
  return SHORT[char] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`)
}

/** The name with every unsafe character as a visible escape; a safe name comes back as it was. */
export function escapeControl(name: string): string {
  return name.replace(UNSAFE, escapeOne)
}

/** The same, but text of several lines keeps its line ends and tabs: for what a terminal shows of a job (its prompt, its error). */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (char) => (char === '\n' || char === '\t' ? char : escapeOne(char)))
}

/** C1 controls and bidirectional characters in JSON text, as \u escapes JSON.stringify leaves raw (it escapes C0 itself). */
export function jsonSafe(json: string): string {
  return json.replace(/[\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g, (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`)
}
