/** The one CSV writer (src/shared/csv.ts, on csv-stringify) that the CLI's reports and the costs screen's download share. */
import { parse } from 'csv-parse/sync'
import { describe, expect, it, vi } from 'vitest'
import { csvField, roundUsd, toCsv } from '../../src/shared/csv'

describe('the CSV writer', () => {
  it('quotes a field with a comma, a quote, a line break or edge spaces, and doubles quotes', () => {
    expect(csvField('plain')).toBe('plain')
    expect(csvField('a,b')).toBe('"a,b"')
    expect(csvField('say "hi"')).toBe('"say ""hi"""')
    expect(csvField('two\nlines')).toBe('"two\nlines"')
    expect(csvField('crlf\r\n')).toBe('"crlf\r\n"')
    expect(csvField(' padded')).toBe('" padded"')
    expect(csvField(null)).toBe('')
    expect(csvField(0)).toBe('0')
  })

  it('defuses text a spreadsheet would run as a formula (= + - @ tab CR first); numbers stay numbers', () => {
    expect(csvField('=HYPERLINK("x")')).toBe(`"'=HYPERLINK(""x"")"`)
    expect(csvField('+1')).toBe("'+1")
    expect(csvField('-2+3')).toBe("'-2+3")
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)")
    expect(csvField('\t=1')).toBe(`"'\t=1"`)
    expect(csvField('\r=1')).toBe(`"'\r=1"`)
    expect(csvField('a=b')).toBe('a=b')
    expect(csvField(-1.5)).toBe('-1.5')
  })

  it('ends every row in CRLF and reads back as written', () => {
    const text = toCsv([
      ['tag', 'cost_usd'],
      ['b,c', null],
      ['=1+1', 0.3],
    ])
    expect(text).toBe('tag,cost_usd\r\n"b,c",\r\n\'=1+1,0.3\r\n')
    expect(parse(text)).toEqual([
      ['tag', 'cost_usd'],
      ['b,c', ''],
      ["'=1+1", '0.3'],
    ])
  })

  it('loads where there is no Buffer, as in the renderer (Node builds of csv-stringify read it at load)', async () => {
    const buffer = globalThis.Buffer
    vi.resetModules()
    Reflect.deleteProperty(globalThis, 'Buffer')
    try {
      const fresh = await import('../../src/shared/csv')
      expect(fresh.toCsv([['=1+1', 2]])).toBe("'=1+1,2\r\n")
    } finally {
      globalThis.Buffer = buffer
    }
  })

  it('rounds USD to a millionth of a dollar', () => {
    expect(0.1 + 0.2).not.toBe(0.3)
    expect(roundUsd(0.1 + 0.2)).toBe(0.3)
    expect(roundUsd(0.008100000000000001)).toBe(0.0081)
    expect(roundUsd(0.0012345678)).toBe(0.001235)
    expect(roundUsd(0)).toBe(0)
  })
})
