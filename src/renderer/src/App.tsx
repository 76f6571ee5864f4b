import { useEffect } from 'react'
import { AppShell } from './shell/AppShell'
import { useQueue } from './stores/use-queue'

function LoadError() {
  const error = useQueue((state) => state.error)
  const unauthorized = error?.code === 'UNAUTHORIZED'
  return (
    <div className="load-error" role="alert">
      <h1>{unauthorized ? 'This page needs its access link' : 'GenOps could not load the queue'}</h1>
      <p>{unauthorized ? 'Open the address that genops serve printed when it started: it carries the token this page needs.' : error?.message}</p>
      <button type="button" className="button" onClick={() => window.location.reload()}>
        Try again
      </button>
    </div>
  )
}

export function App() {
  const status = useQueue((state) => state.status)
  const start = useQueue((state) => state.start)
  useEffect(() => start(), [start])
  return (
    <div className="app" data-app-state={status}>
      {status === 'error' ? <LoadError /> : <AppShell />}
    </div>
  )
}
