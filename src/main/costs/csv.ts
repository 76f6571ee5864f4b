/**
 * CSV as RFC 4180 writes it: a field with a comma, a quote, a line break or surrounding
 * spaces is quoted, quotes doubled; lines end in CRLF. Enough for a report's few columns,
 * where a tag or a batch name is the only text an operator chose.
 */
export type CsvValue = string | number | null

export function csvField(value: CsvValue): string {
  if (value === null) return ''
  const text = String(value)
  return /[",\r\n]|^\s|\s$/.test(text) ? `"${text.replace(/"/g, '""')}"` : text
}

export function toCsv(rows: readonly (readonly CsvValue[])[]): string {
  return rows.map((row) => row.map(csvField).join(',')).join('\r\n') + '\r\n'
}
