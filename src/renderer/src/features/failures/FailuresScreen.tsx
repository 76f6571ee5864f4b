/**
 * Failures: what went wrong, grouped by fingerprint; the regression set pinned from the
 * groups; and the dead-letter queue, to retry (with fresh attempts) or purge.
 */
import { useEffect, useMemo } from 'react'
import { useClient } from '../../client'
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
  if (!notice) return null
  return (
    <div
      className={`banner ${notice.tone === 'error' ? 'banner-critical' : 'banner-info'}`}
      role={notice.tone === 'error' ? 'alert' : 'status'}
      data-failures-notice={notice.tone}
    >
      <span>{notice.text}</span>
      <button type="button" className="button button-quiet" onClick={dismiss}>
        Dismiss
      </button>
    </div>
  )
}

function Body() {
  const status = useFailures((state) => state.status)
  const problem = useFailures((state) => state.loadProblem)
  return (
    <main className="content scroll-content failures" data-screen-state={status}>
      {status === 'loading' && <p className="empty">Loading failures…</p>}
      {status === 'error' && (
        <div className="empty" role="alert">
          <p className="empty-title">The failures could not be loaded</p>
          <p>{problem}</p>
        </div>
      )}
      {status === 'ready' && (
        <>
          <FailureGroups />
          <Regressions />
          <DeadLetters />
          <PurgeConfirm />
        </>
      )}
    </main>
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
