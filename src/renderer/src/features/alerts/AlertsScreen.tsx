/**
 * Alerts: what is firing or pending now, every rule (the shipped defaults and the
 * operator's own) to switch, edit, add or remove, and the history of state changes.
 * `#/alerts/<name>` opens a rule in the editor, so a notification can link to it.
 */
import { useEffect } from 'react'
import { NoticeBanner, ScreenBody } from '../../components/screen'
import { useRoute } from '../../shell/route'
import { ActiveAlerts } from './ActiveAlerts'
import { AlertHistory } from './AlertHistory'
import { RuleEditor } from './RuleEditor'
import { Rules } from './Rules'
import { useAlerts, useAlertsStore } from './use-alerts'
import './alerts.css'

function Notice() {
  const notice = useAlerts((state) => state.notice)
  const dismiss = useAlerts((state) => state.dismissNotice)
  return <NoticeBanner notice={notice} onDismiss={dismiss} name="alerts" />
}

function Body() {
  const status = useAlerts((state) => state.status)
  const problem = useAlerts((state) => state.loadProblem)
  return (
    <ScreenBody status={status} problem={problem} what="alerts" className="alerts">
      <ActiveAlerts />
      <Rules />
      <AlertHistory />
      <RuleEditor />
    </ScreenBody>
  )
}

export function AlertsScreen() {
  const store = useAlertsStore()
  const rule = useRoute((state) => state.rule)
  const status = useAlerts((state) => state.status)
  useEffect(() => store.getState().watch(), [store])
  // The address names the rule to edit; it can only be opened once the rules are there.
  useEffect(() => store.getState().openRule(rule), [store, rule, status])
  return (
    <>
      <Notice />
      <Body />
    </>
  )
}
