import { beforeAll, describe, expect, test, vi } from 'vitest'
import type * as Route from './route'

// route.ts follows the window's hash as it loads: give it a window of its own.
vi.stubGlobal('window', { location: { hash: '' }, addEventListener: () => {} })
let route: typeof Route
beforeAll(async () => {
  route = await import('./route')
})

describe('the address', () => {
  test('names a screen, a job on the jobs screens, and a rule on the alerts screen', () => {
    expect(route.parseHash('#/jobs/42')).toEqual({ screen: 'jobs', jobId: 42, rule: null })
    expect(route.parseHash('#/alerts')).toEqual({ screen: 'alerts', jobId: null, rule: null })
    expect(route.parseHash('#/alerts/GenOpsDiskLow')).toEqual({ screen: 'alerts', jobId: null, rule: 'GenOpsDiskLow' })
    expect(route.parseHash('#/alerts/not%20a%20name')).toEqual({ screen: 'alerts', jobId: null, rule: null })
    expect(route.parseHash('#/nowhere/3')).toEqual({ screen: 'jobs', jobId: 3, rule: null })
    expect(route.hashOf({ screen: 'alerts', jobId: null, rule: 'GenOpsDiskLow' })).toBe('#/alerts/GenOpsDiskLow')
    expect(route.hashOf({ screen: 'failures', jobId: 7, rule: 'ignored' })).toBe('#/failures/7')
  })

  test('moving to another screen closes what was open', () => {
    route.useRoute.getState().go({ screen: 'alerts', rule: 'GenOpsDiskLow' })
    expect(window.location.hash).toBe('#/alerts/GenOpsDiskLow')
    route.useRoute.getState().go({ screen: 'jobs' })
    expect(route.useRoute.getState()).toMatchObject({ screen: 'jobs', jobId: null, rule: null })
  })
})
