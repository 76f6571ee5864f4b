/** The response cache: how many answers it keeps, their size, what its hits saved, and a clear that asks first. */
import { useEffect, useMemo } from 'react'
import { useStore } from 'zustand'
import { usd } from '../../../../shared/costs'
import { useClient } from '../../client'
import { formatBytes, plural } from '../../words'
import { createResponseCacheStore } from './response-cache'

export function ResponseCache() {
  const client = useClient()
  const store = useMemo(() => createResponseCacheStore(client), [client])
  useEffect(() => void store.getState().load(), [store])
  const { phase, stats, cleared, problem, askClear, cancelClear, clear } = useStore(store)
  return (
    <section
      className="panel"
      aria-labelledby="response-cache-title"
      data-cache-state={phase}
      data-cache-entries={stats?.entries ?? ''}
      data-cache-bytes={stats?.bytes ?? ''}
    >
      <header className="panel-head">
        <h2 className="panel-title" id="response-cache-title">
          Response cache
        </h2>
        <span className="muted">
          identical requests reuse a completed answer at no cost; entries stay until cleared (<code>genops cache clear --older-than 30d</code>)
        </span>
        <div className="panel-actions">
          {phase === 'confirming' ? (
            <>
              <button type="button" className="button" autoFocus onClick={cancelClear}>
                Keep them
              </button>
              <button type="button" className="button button-danger button-primary" data-confirm-clear-cache onClick={() => void clear()}>
                Clear {plural(stats?.entries ?? 0, 'answer')}
              </button>
            </>
          ) : (
            <button type="button" className="button" data-clear-cache disabled={phase !== 'ready' || (stats?.entries ?? 0) === 0} onClick={askClear}>
              {phase === 'clearing' ? 'Clearing…' : 'Clear the cache'}
            </button>
          )}
        </div>
      </header>
      {stats && (
        <div className="panel-body">
          <dl className="facts">
            <div className="fact">
              <dt>Kept</dt>
              <dd data-cache-kept>
                {plural(stats.entries, 'answer')}, {formatBytes(stats.bytes)}
                {stats.oldestAt !== null && <span className="muted"> · oldest {new Date(stats.oldestAt).toLocaleString()}</span>}
              </dd>
            </div>
            <div className="fact">
              <dt>Saved</dt>
              <dd data-cache-saved={stats.savedUsd}>
                {usd(stats.savedUsd)} over {plural(stats.hits, 'attempt')} answered from the cache
              </dd>
            </div>
          </dl>
          {phase === 'confirming' && (
            <p className="form-note" role="status">
              Clearing removes every cached answer: the next identical request goes to its provider and is paid again. Jobs already answered keep their output.
            </p>
          )}
          {cleared && (
            <p role="status" data-cache-cleared>
              {cleared}
            </p>
          )}
        </div>
      )}
      {problem && (
        <div className="panel-body">
          <p className="form-problem" role="alert" data-cache-problem>
            {problem}
          </p>
        </div>
      )}
    </section>
  )
}
