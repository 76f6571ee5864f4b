/**
 * Failures: what went wrong, grouped by fingerprint; the regression set pinned from the
 * groups; and the dead-letter queue, to retry (with fresh attempts) or purge.
 */
import { useEffect, useMemo } from 'react'
import { useClient } from '../../client'
import { NoticeBanner, ScreenBody } from '../../components/screen'
import { DeadLetters } from './DeadLetters'
import { createFailuresStore } from './failures'
import { FailureGroups } from './FailureGroups'
import { PurgeConfirm } from './PurgeConfirm'
import { Regressions } from './Regressions'
import { FailuresProvider, useFailures } from './use-failures'
import './failures.css'

function Notice() {
  const notice = useFailures((state) => state.notice)
  const dismiss = useFailures((state) => state.dismissNotice)
  return <NoticeBanner notice={notice} onDismiss={dismiss} name="failures" />
}

function Body() {
  const status = useFailures((state) => state.status)
  const problem = useFailures((state) => state.loadProblem)
  return (
    <ScreenBody status={status} problem={problem} what="failures" className="failures">
      <FailureGroups />
      <Regressions />
      <DeadLetters />
      <PurgeConfirm />
    </ScreenBody>
  )
}

export function FailuresScreen() {
  const client = useClient()
  const store = useMemo(() => createFailuresStore(client), [client])
  useEffect(() => store.getState().start(), [store])
  return (
    <FailuresProvider store={store}>
      <Notice />
      <Body />
    </FailuresProvider>
  )
}
