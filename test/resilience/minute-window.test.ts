import { describe, expect, it } from 'vitest'
import { MinuteWindow, WINDOW_MS } from '../../src/main/resilience/minute-window'

describe('the minute window', () => {
  it('counts starts and tokens of the last 60 seconds only, and says when a place frees', () => {
    const window = new MinuteWindow()
    const first = window.record(1000, 500)
    window.record(2000, 300)
    expect(window.requests(2000)).toBe(2)
    expect(window.tokens(2000)).toBe(800)
    first.tokens = 120
    expect(window.tokens(2000)).toBe(420)
    expect(window.nextFreeAt(2000)).toBe(1000 + WINDOW_MS)
    expect(window.requests(1000 + WINDOW_MS)).toBe(1)
    expect(window.requests(2000 + WINDOW_MS)).toBe(0)
    expect(window.nextFreeAt(5000 + WINDOW_MS)).toBe(5000 + WINDOW_MS)
  })

  it('stays exact over many starts', () => {
    const window = new MinuteWindow()
    for (let at = 0; at < 200_000; at += 10) window.record(at, 1)
    expect(window.requests(199_990)).toBe(6000)
    expect(window.tokens(199_990)).toBe(6000)
  })
})
