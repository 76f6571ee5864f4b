/**
 * What the alerts screen and the top bar's badge show and do: every rule with where it
 * stands, the alerts firing and pending now, and (while the screen is open) the history of
 * transitions. Loaded once, then refetched (throttled) when an `alert` event says a state
 * changed; while the screen is open the rules' values are also refreshed as the queue
 * moves, at most every VALUES_MS. Edits go through saveAlertRule and removeAlertRule, and
 * every action says what it did, or what went wrong, in the notice.
 */
import { createStore, type StoreApi } from 'zustand/vanilla'
import { formatSignalValue, type AlertSignal, type AlertState, type AlertStatus, type AlertTransition } from '../../../../shared/alerts'
import type { EngineEvent } from '../../../../shared/contract'
import type { Client, Connection } from '../../api'
import type { ScreenNotice } from '../../components/screen'
import { screenAction } from '../../stores/screen-action'
import { throttle } from '../../stores/throttle'
import { sayProblem } from '../../words'
import { draftOf, newDraft, ruleOf, withSignal, type RuleDraft } from './rule-draft'

/** Alert events come in bursts (several rules at one evaluation): one refetch for the lot. */
export const REFRESH_MS = 2000
/** Values change at every evaluation without an event: on screen they are refreshed this often at most. */
export const VALUES_MS = 10_000
export const HISTORY_LIMIT = 100

export interface AlertsState {
  status: 'loading' | 'ready' | 'error'
  loadProblem: string | null
  notice: ScreenNotice | null
  alerts: AlertStatus[]
  /** Newest first; loaded only while the screen is open. */
  history: AlertTransition[]
  historyState: 'loading' | 'ready'
  draft: RuleDraft | null
  formProblem: string | null
  saving: boolean
  /** The rule whose switch or removal is on its way. */
  busy: string | null

  /** Follows alert events (the badge and the screen both do; the last to stop ends it). */
  start(): () => void
  /** The screen is open: history and fresh values too. */
  watch(): () => void
  /** Opens the rule the address names in the editor, or closes an edit when it names none. */
  openRule(name: string | null): void
  newRule(): void
  editDraft(patch: Partial<Omit<RuleDraft, 'editing' | 'builtin'>>): void
  cancelEdit(): void
  /** True when saved (the editor closed). */
  saveRule(): Promise<boolean>
  setEnabled(name: string, enabled: boolean): Promise<void>
  /** Removes the rule in the editor, or restores a shipped default; true when done. */
  removeRule(): Promise<boolean>
  dismissNotice(): void
}

const STATE_ORDER: Record<AlertState, number> = { firing: 0, pending: 1, inactive: 2 }

/** Firing before pending, critical before warning, longest-standing first. */
export function activeAlerts(alerts: readonly AlertStatus[]): AlertStatus[] {
  return alerts
    .filter((alert) => alert.state !== 'inactive')
    .sort(
      (a, b) =>
        STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
        (a.rule.severity === b.rule.severity ? 0 : a.rule.severity === 'critical' ? -1 : 1) ||
        (a.since ?? 0) - (b.since ?? 0),
    )
}

export const firingCount = (alerts: readonly AlertStatus[]): number => alerts.filter((alert) => alert.state === 'firing').length

/** A transition's value in its rule's words; a bare number when the rule is gone. */
export function transitionValue(transition: AlertTransition, signals: ReadonlyMap<string, AlertSignal>): string {
  const signal = signals.get(transition.name)
  if (signal) return formatSignalValue(signal, transition.value)
  return transition.value === null ? 'no data' : transition.value.toLocaleString('en')
}

function replaced(alerts: AlertStatus[], status: AlertStatus): AlertStatus[] {
  const at = alerts.findIndex((alert) => alert.rule.name === status.rule.name)
  return at === -1 ? [...alerts, status] : alerts.map((alert, i) => (i === at ? status : alert))
}

export function createAlertsStore(client: Client): StoreApi<AlertsState> {
  return createStore<AlertsState>()((set, get) => {
    let followers = 0
    let watchers = 0
    let stopFeed: (() => void) | undefined
    let lastLoad = 0
    let request = 0

    async function load(): Promise<void> {
      const asked = ++request
      const withHistory = watchers > 0
      lastLoad = Date.now()
      const [{ alerts }, history] = await Promise.all([
        client.listAlerts({}),
        withHistory ? client.alertHistory({ limit: HISTORY_LIMIT }) : Promise.resolve(null),
      ])
      if (asked !== request) return
      set({ alerts, status: 'ready', loadProblem: null, ...(history ? { history: history.transitions, historyState: 'ready' as const } : {}) })
    }

    const refresh = throttle(async () => {
      try {
        await load()
      } catch (error) {
        // The badge has nowhere to say it; the screen says it in its notice or in place of its body.
        if (get().status === 'ready') {
          if (watchers > 0) set({ notice: { tone: 'error', text: `Could not refresh the alerts: ${sayProblem(error)}` } })
        } else set({ status: 'error', loadProblem: sayProblem(error) })
      }
    }, REFRESH_MS)

    function onEvent(event: EngineEvent): void {
      if (event.type === 'alert') refresh.request()
      else if (event.type === 'counts' && watchers > 0 && Date.now() - lastLoad >= VALUES_MS) refresh.request()
    }

    function follow(): void {
      let connection: Connection | null = null
      const stopEvents = client.onEvent(onEvent)
      const stopConnection = client.onConnection((next) => {
        // Alert events were missed while the stream was down: read the states again.
        if (next === 'live' && connection === 'reconnecting') refresh.request()
        connection = next
      })
      stopFeed = () => {
        stopEvents()
        stopConnection()
      }
      refresh.request()
    }

    const act = screenAction(get, set, () => refresh.request())

    return {
      status: 'loading',
      loadProblem: null,
      notice: null,
      alerts: [],
      history: [],
      historyState: 'loading',
      draft: null,
      formProblem: null,
      saving: false,
      busy: null,

      start() {
        if (followers++ === 0) follow()
        let stopped = false
        return () => {
          if (stopped) return
          stopped = true
          if (--followers > 0) return
          stopFeed?.()
          stopFeed = undefined
          refresh.cancel()
          request++
        }
      },

      watch() {
        const stop = get().start()
        // History is not kept while the screen is closed: read it (and fresh values) on opening.
        watchers++
        refresh.request()
        let stopped = false
        return () => {
          if (stopped) return
          stopped = true
          // An edit left by going elsewhere is not waiting for the operator's return.
          if (--watchers === 0) set({ draft: null, formProblem: null })
          stop()
        }
      },

      openRule(name) {
        const { draft, alerts, status } = get()
        if (name === null) {
          if (draft?.editing) set({ draft: null, formProblem: null })
          return
        }
        if (draft?.editing === name || status !== 'ready') return
        const alert = alerts.find((a) => a.rule.name === name)
        if (alert) set({ draft: draftOf(alert), formProblem: null })
        else set({ draft: null, notice: { tone: 'error', text: `There is no alert rule named ${name}.` } })
      },

      newRule: () => set({ draft: newDraft('failure_rate'), formProblem: null }),

      editDraft(patch) {
        const { draft } = get()
        if (!draft) return
        const next = { ...draft, ...patch }
        set({ draft: patch.signal && patch.signal !== draft.signal ? withSignal(next, patch.signal) : next, formProblem: null })
      },

      cancelEdit: () => set({ draft: null, formProblem: null }),

      async saveRule() {
        const { draft, saving, alerts } = get()
        if (!draft || saving) return false
        const checked = ruleOf(draft)
        if ('problem' in checked) {
          set({ formProblem: checked.problem })
          return false
        }
        const { rule } = checked
        if (draft.editing === null && alerts.some((alert) => alert.rule.name === rule.name)) {
          set({ formProblem: `Name: there is a rule named ${rule.name} already; choose another name, or edit that rule` })
          return false
        }
        set({ saving: true, formProblem: null })
        try {
          const saved = await client.saveAlertRule(rule)
          set({
            alerts: replaced(get().alerts, saved),
            draft: null,
            notice: { tone: 'info', text: `Rule ${saved.rule.name} saved${saved.rule.enabled ? '' : ', disabled: it is not evaluated and cannot fire'}.` },
          })
          refresh.request()
          return true
        } catch (error) {
          // The engine's words, plainly: its schema names the field that is wrong.
          set({ formProblem: `Not saved: ${sayProblem(error)}` })
          return false
        } finally {
          set({ saving: false })
        }
      },

      setEnabled: async (name, enabled) => {
        await act(name, async () => {
          const alert = get().alerts.find((a) => a.rule.name === name)
          if (!alert) return `There is no alert rule named ${name}.`
          const saved = await client.saveAlertRule({ ...alert.rule, enabled })
          set({ alerts: replaced(get().alerts, saved) })
          return enabled ? `${name} enabled: it is evaluated again.` : `${name} disabled: it is not evaluated and cannot fire.`
        })
      },

      async removeRule() {
        const { draft } = get()
        if (!draft?.editing) return false
        const { editing: name, builtin } = draft
        const done = await act(name, async () => {
          const { removed } = await client.removeAlertRule({ name })
          // An operator's rule is gone at once; a default's restored values come with the refetch.
          set({ draft: null, formProblem: null, alerts: builtin ? get().alerts : get().alerts.filter((a) => a.rule.name !== name) })
          if (builtin) return removed ? `${name} is back to its shipped default.` : `${name} was already as shipped.`
          return removed ? `Rule ${name} removed.` : `There was no rule ${name}.`
        })
        return done
      },

      dismissNotice: () => set({ notice: null }),
    }
  })
}
