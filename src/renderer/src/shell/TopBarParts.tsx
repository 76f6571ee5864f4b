/** The top bar's live parts: the event feed's state and the queue's pause switch. */
import type { Connection } from '../api'
import { useQueue } from '../stores/use-queue'

const CONNECTION_LABELS: Record<Connection, string> = {
  connecting: 'Connecting…',
  live: 'Live',
  reconnecting: 'Reconnecting…',
  unauthorized: 'Session expired: open the link genops serve printed',
}

export function ConnectionStatus() {
  const connection = useQueue((state) => state.connection)
  return (
    <span className={`connection connection-${connection}`} data-connection={connection} role="status">
      <span className="connection-dot" aria-hidden="true" />
      {CONNECTION_LABELS[connection]}
    </span>
  )
}

/** Its words say what it does next (Pause, Resume); a pressed state on top would say it twice, and the other way round. */
export function PauseButton() {
  const paused = useQueue((state) => state.paused)
  const busy = useQueue((state) => state.pauseInFlight)
  const togglePaused = useQueue((state) => state.togglePaused)
  return (
    <button
      type="button"
      className={paused ? 'button button-primary' : 'button'}
      data-paused={String(paused)}
      disabled={busy}
      onClick={() => void togglePaused()}
    >
      <svg className="button-icon" viewBox="0 0 16 16" aria-hidden="true">
        {paused ? <path d="M4.5 2.8v10.4L13 8z" /> : <path d="M4 2.5h2.6v11H4zM9.4 2.5H12v11H9.4z" />}
      </svg>
      {paused ? 'Resume queue' : 'Pause queue'}
    </button>
  )
}
