/** Alert notifications within their limits: one per alert a minute, five a minute in all, the rest gathered into one. */
import { describe, expect, it } from 'vitest'
import { AlertNotices, type AlertChange, type DesktopNote, type NoticeClock } from '../../src/main/shell/alert-notices'

/** A clock the test moves by hand; timers fire as it passes them. */
function fakeClock(start = 1_000_000) {
  let now = start
  let timers: { at: number; run: () => void }[] = []
  const clock: NoticeClock = {
    now: () => now,
    setTimer(run, ms) {
      const timer = { at: now + ms, run }
      timers.push(timer)
      return timer
    },
    clearTimer(timer) {
      timers = timers.filter((pending) => pending !== timer)
    },
  }
  function advance(ms: number) {
    const until = now + ms
    for (;;) {
      const due = timers.filter((timer) => timer.at <= until).sort((a, b) => a.at - b.at)[0]
      if (!due) break
      timers = timers.filter((timer) => timer !== due)
      now = due.at
      due.run()
    }
    now = until
  }
  return { clock, advance, pendingTimers: () => timers.length }
}

const change = (name: string, to: AlertChange['to'], from: AlertChange['from'] = to === 'resolved' ? 'firing' : 'pending'): AlertChange => ({
  name,
  to,
  from,
  severity: 'critical',
  summary: `${name} summary`,
})

function setUp() {
  const time = fakeClock()
  const shown: DesktopNote[] = []
  const notices = new AlertNotices((note) => shown.push(note), {}, time.clock)
  return { ...time, shown, notices }
}

describe('AlertNotices', () => {
  it('notifies a firing alert with its name, severity and summary', () => {
    const { notices, shown } = setUp()
    notices.offer(change('GenOpsBreakerOpen', 'firing'))
    expect(shown).toEqual([{ title: 'GenOpsBreakerOpen firing (critical)', body: 'GenOpsBreakerOpen summary', alert: 'GenOpsBreakerOpen' }])
  })

  it('ignores pending, and the end of a spell that never fired', () => {
    const { notices, shown, pendingTimers } = setUp()
    notices.offer(change('A', 'pending', 'inactive'))
    notices.offer(change('A', 'resolved', 'pending'))
    expect(shown).toEqual([])
    expect(pendingTimers()).toBe(0)
  })

  it('holds a second change of the same alert within a minute, then tells it', () => {
    const { notices, shown, advance } = setUp()
    notices.offer(change('A', 'firing'))
    advance(5_000)
    notices.offer(change('A', 'resolved'))
    expect(shown).toHaveLength(1)
    advance(59_999)
    expect(shown).toHaveLength(1)
    advance(1)
    expect(shown.at(-1)).toEqual({ title: 'A resolved (critical)', body: 'A summary', alert: 'A' })
  })

  it('shows at most five a minute and gathers the rest into one "N more alerts changed"', () => {
    const { notices, shown, advance } = setUp()
    for (let index = 0; index < 12; index++) notices.offer(change(`Rule${index}`, 'firing'))
    expect(shown.map((note) => note.title)).toEqual(['Rule0', 'Rule1', 'Rule2', 'Rule3', 'Rule4'].map((name) => `${name} firing (critical)`))
    advance(60_000)
    expect(shown).toHaveLength(6)
    expect(shown[5]!.title).toBe('7 more alerts changed')
    expect(shown[5]!.body).toBe('Rule5 firing, Rule6 firing, Rule7 firing, Rule8 firing, and 3 more. Open Alerts for the details.')
    // Nothing is left to tell.
    advance(10 * 60_000)
    expect(shown).toHaveLength(6)
  })

  it('never shows more than five in any minute, summaries included', () => {
    const { clock, advance } = fakeClock()
    const times: number[] = []
    const notices = new AlertNotices(() => times.push(clock.now()), {}, clock)
    for (let second = 0; second < 600; second++) {
      notices.offer(change(`Flapping${second % 7}`, second % 2 ? 'firing' : 'resolved'))
      advance(1_000)
    }
    advance(5 * 60_000)
    for (const at of times) expect(times.filter((other) => other >= at && other < at + 60_000).length).toBeLessThanOrEqual(5)
    // Ten minutes of flapping: told, in summaries, every minute or so, and not a notification a second.
    expect(times.length).toBeGreaterThanOrEqual(10)
    expect(times.length).toBeLessThanOrEqual(60)
  })

  it('lets a quiet alert through at once after the limits have passed', () => {
    const { notices, shown, advance } = setUp()
    notices.offer(change('A', 'firing'))
    advance(61_000)
    notices.offer(change('A', 'resolved'))
    expect(shown.map((note) => note.title)).toEqual(['A firing (critical)', 'A resolved (critical)'])
  })

  it('drops what it holds when stopped', () => {
    const { notices, shown, advance, pendingTimers } = setUp()
    notices.offer(change('A', 'firing'))
    notices.offer(change('A', 'resolved'))
    notices.stop()
    expect(pendingTimers()).toBe(0)
    advance(120_000)
    expect(shown).toHaveLength(1)
  })
})
