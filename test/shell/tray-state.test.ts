/** The tray's look and words follow from health and the alerts: firing is red, trouble short of that amber. */
import { describe, expect, it, vi } from 'vitest'
import { trayMenuTemplate, trayState, type AlertStanding } from '../../src/main/shell/tray-state'

const alert = (name: string, state: AlertStanding['state'], severity: 'warning' | 'critical' = 'warning'): AlertStanding => ({
  state,
  rule: { name, severity },
})

describe('trayState', () => {
  it('is ok when healthy and nothing is pending or firing', () => {
    expect(trayState('healthy', [alert('A', 'inactive')])).toEqual({ look: 'ok', words: 'GenOps: all well' })
    expect(trayState('healthy', [], true)).toEqual({ look: 'ok', words: 'GenOps: all well; queue paused' })
  })

  it('is degraded when health is not healthy, unknown, or an alert is pending', () => {
    expect(trayState('degraded', [])).toEqual({ look: 'degraded', words: 'GenOps: health degraded' })
    expect(trayState('unhealthy', [])).toMatchObject({ look: 'degraded', words: 'GenOps: health unhealthy' })
    expect(trayState(null, [])).toMatchObject({ look: 'degraded', words: 'GenOps: health unknown' })
    expect(trayState('healthy', [alert('A', 'pending'), alert('B', 'pending')])).toEqual({ look: 'degraded', words: 'GenOps: 2 alerts pending' })
  })

  it('is alerting when any alert fires, whatever the health, critical ones named first', () => {
    expect(trayState('healthy', [alert('Slow', 'firing')])).toEqual({ look: 'alerting', words: 'GenOps: 1 alert firing: Slow' })
    expect(trayState('unhealthy', [alert('Slow', 'firing'), alert('BreakerOpen', 'firing', 'critical'), alert('Congested', 'pending')], true)).toEqual({
      look: 'alerting',
      words: 'GenOps: 2 alerts firing (1 critical); queue paused: BreakerOpen, Slow',
    })
  })

  it('keeps its words short enough for a Windows tooltip', () => {
    const many = Array.from({ length: 40 }, (_, index) => alert(`GenOpsSomethingWentWrong${index}`, 'firing'))
    const { words } = trayState('healthy', many)
    expect(words.length).toBeLessThanOrEqual(120)
    expect(words.endsWith('…')).toBe(true)
  })
})

describe('trayMenuTemplate', () => {
  it('says the state, then Show, Pause or Resume, Export and Quit', () => {
    const actions = { showWindow: vi.fn(), togglePaused: vi.fn(), exportBundle: vi.fn(), quit: vi.fn() }
    const state = trayState('healthy', [])
    const running = trayMenuTemplate(state, false, actions)
    expect(running.map((item) => item.label ?? item.type)).toEqual([
      'GenOps: all well',
      'separator',
      'Show GenOps',
      'Pause queue',
      'Export diagnostic bundle',
      'separator',
      'Quit GenOps',
    ])
    expect(running[0]!.enabled).toBe(false)
    expect(trayMenuTemplate(state, true, actions).map((item) => item.label)).toContain('Resume queue')
    for (const item of running) item.click?.()
    for (const action of Object.values(actions)) expect(action).toHaveBeenCalledTimes(1)
  })
})
