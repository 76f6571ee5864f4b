import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { MAX_LINE_CHARS, parsePromptFile } from '../src/main/intake/parse'
import { parseDuration } from '../src/shared/duration'

const FIXTURES = join(import.meta.dirname, '../../shared/fixtures/prompts')
const text = (s: string) => new TextEncoder().encode(s)

describe('prompt files', () => {
  it.each(['one-prompt.txt', 'landing-page.md', 'components.jsonl', 'array.json'])('takes the good fixture %s', (name) => {
    const parsed = parsePromptFile(name, readFileSync(join(FIXTURES, 'good', name)))
    expect(parsed.ok).toBe(true)
  })

  it('reads a .jsonl job per line with its config, tags and priority', () => {
    const parsed = parsePromptFile('components.jsonl', readFileSync(join(FIXTURES, 'good', 'components.jsonl')))
    if (!parsed.ok) throw new Error(parsed.errors.join('\n'))
    expect(parsed.jobs).toHaveLength(50)
    expect(parsed.jobs[0]).toEqual({
      prompt: 'Generate a React component for a todo app. Variant 0.',
      priority: 'low',
      tags: ['ui', 'batch-a'],
      config: { temperature: 0.2, maxTokens: 400 },
    })
  })

  it('names the file and line of what is wrong in each bad fixture', () => {
    const errors = Object.fromEntries(
      readdirSync(join(FIXTURES, 'bad')).map((name) => {
        const parsed = parsePromptFile(name, readFileSync(join(FIXTURES, 'bad', name)))
        return [name, parsed.ok ? [] : parsed.errors]
      }),
    )
    expect(errors['broken-line.jsonl']).toEqual([expect.stringMatching(/^broken-line\.jsonl:7: not valid JSON/)])
    expect(errors['empty.txt']).toEqual(['empty.txt: the file is empty'])
    expect(errors['wrong-types.json']).toEqual([
      expect.stringMatching(/^wrong-types\.json:1: job 2: prompt: /),
      expect.stringMatching(/^wrong-types\.json:1: job 3: priority: /),
    ])
    expect(errors['no-prompt-column.csv']).toEqual([expect.stringContaining('unknown file type ".csv"')])
  })

  it('accepts a BOM and CRLF line ends', () => {
    const parsed = parsePromptFile('x.jsonl', text('\uFEFF{"prompt":"a"}\r\n{"prompt":"b"}\r\n'))
    expect(parsed).toEqual({ ok: true, file: 'x.jsonl', jobs: [{ prompt: 'a' }, { prompt: 'b' }] })
  })

  it('refuses UTF-16, binary and invalid UTF-8 by name', () => {
    const utf16 = new Uint8Array([0xff, 0xfe, 0x61, 0x00])
    expect(parsePromptFile('a.txt', utf16)).toMatchObject({ ok: false, errors: ['a.txt: the file is UTF-16; save it as UTF-8'] })
    expect(parsePromptFile('a.txt', new Uint8Array([0x61, 0x00, 0x62]))).toMatchObject({ ok: false, errors: [expect.stringContaining('binary')] })
    expect(parsePromptFile('a.txt', new Uint8Array([0x61, 0xc3, 0x28]))).toMatchObject({ ok: false, errors: [expect.stringContaining('not valid UTF-8')] })
  })

  it('refuses a line over the length limit, naming it', () => {
    const long = `{"prompt":"${'x'.repeat(MAX_LINE_CHARS)}"}`
    expect(parsePromptFile('big.jsonl', text(`{"prompt":"ok"}\n${long}\n`))).toMatchObject({
      ok: false,
      errors: [expect.stringMatching(/^big\.jsonl:2: the line is/)],
    })
  })

  it('lists at most a hundred problems and counts the rest', () => {
    const parsed = parsePromptFile('many.jsonl', text('nope\n'.repeat(250)))
    expect(parsed).toMatchObject({ ok: false, moreErrors: 150 })
    if (!parsed.ok) expect(parsed.errors).toHaveLength(100)
  })

  it('refuses an API key in a job config: it would be stored with the job', () => {
    expect(parsePromptFile('x.jsonl', text('{"prompt":"a","config":{"apiKey":"sk-123"}}'))).toMatchObject({
      ok: false,
      errors: [expect.stringMatching(/^x\.jsonl:1: config: a job config holds no API keys/)],
    })
  })

  it('refuses unknown job fields rather than dropping them silently', () => {
    expect(parsePromptFile('x.jsonl', text('{"prompt":"a","priorty":"high"}'))).toMatchObject({
      ok: false,
      errors: [expect.stringMatching(/^x\.jsonl:1: .*priorty/)],
    })
  })
})

describe('durations', () => {
  it('reads the units operators type', () => {
    expect([parseDuration('500ms'), parseDuration('30s'), parseDuration('5m'), parseDuration('2h'), parseDuration('7d')]).toEqual([
      500, 30_000, 300_000, 7_200_000, 604_800_000,
    ])
    expect(() => parseDuration('soon')).toThrow(/like 500ms, 30s/)
  })
})
