/**
 * The one CSV writer: the CLI's reports and the screens' downloads both write through it.
 * csv-stringify does the quoting (RFC 4180: a field with a comma, a quote, a line break or
 * surrounding space is quoted, quotes doubled; lines end in CRLF) and the formula guard: a
 * text cell starting with =, +, -, @, a tab or a CR is prefixed with a quote mark, so a tag
 * or batch name an operator chose never runs as a spreadsheet formula. Numbers stay numbers.
 */
// The browser build: the Node one reads the global Buffer at load, which the renderer does not have.
import { stringify } from 'csv-stringify/browser/esm/sync'

export type CsvValue = string | number | null

const OPTIONS = {
  record_delimiter: 'windows',
  escape_formulas: true,
  // Beyond the delimiter and quotes csv-stringify quotes by itself: a lone CR or LF, and surrounding space.
  quoted_match: /[\r\n]|^\s|\s$/,
} as const

/** The rows as CSV text, every line ending in CRLF. */
export function toCsv(rows: readonly (readonly CsvValue[])[]): string {
  return stringify(
    rows.map((row) => row.map((value) => value ?? '')),
    OPTIONS,
  )
}

/** One field as it is written in a line. */
export const csvField = (value: CsvValue): string => toCsv([[value]]).slice(0, -2)

/** USD to a millionth of a dollar, the precision prices are given in: no `0.008100000000000001` in a report. */
export const roundUsd = (amount: number): number => Math.round(amount * 1e6) / 1e6
