import { describe, expect, test } from 'vitest'
import { SseParser } from './sse'

describe('SseParser', () => {
  test('yields whole messages from chunks split anywhere', () => {
    const parser = new SseParser()
    const stream = 'event: counts\ndata: {"a":1}\n\nevent: jobs\ndata: {"b":2}\n\n'
    const messages = [...stream].flatMap((char) => parser.push(char))
    expect(messages).toEqual([
      { event: 'counts', data: '{"a":1}' },
      { event: 'jobs', data: '{"b":2}' },
    ])
  })

  test('accepts CRLF and CR line ends, including a CRLF split between chunks', () => {
    const parser = new SseParser()
    expect(parser.push('event: jobs\r')).toEqual([])
    expect(parser.push('\ndata: x\r\r\n')).toEqual([{ event: 'jobs', data: 'x' }])
  })

  test('joins data lines, skips comments, and names an unnamed event "message"', () => {
    const parser = new SseParser()
    expect(parser.push(': keep-alive\n\ndata: one\ndata:two\n\n')).toEqual([{ event: 'message', data: 'one\ntwo' }])
  })

  test('keeps an unfinished message for the next chunk', () => {
    const parser = new SseParser()
    expect(parser.push('event: progress\ndata: {}\n')).toEqual([])
    expect(parser.push('\n')).toEqual([{ event: 'progress', data: '{}' }])
  })
})
