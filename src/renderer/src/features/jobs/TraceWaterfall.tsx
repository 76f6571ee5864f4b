/**
 * Each attempt's trace as a waterfall: spans as bars from the trace's start, nested under
 * their parent, events (the first token) as ticks; or, one switch away, the same spans as a
 * table, for a screen reader and for anyone who wants the figures as text.
 */
import { useState } from 'react'
import type { TraceSpan } from '../../../../shared/traces'
import { formatDuration, layoutTrace } from './timeline'
import { TraceTable } from './TraceTable'

type View = 'waterfall' | 'table'

function ViewSwitch({ view, onChange }: { view: View; onChange(view: View): void }) {
  return (
    <div className="chips trace-view" role="group" aria-label="Show the trace as">
      {(['waterfall', 'table'] as const).map((option) => (
        <button key={option} type="button" className="chip" aria-pressed={view === option} data-trace-view={option} onClick={() => onChange(option)}>
          {option === 'waterfall' ? 'Waterfall' : 'Table'}
        </button>
      ))}
    </div>
  )
}

export function TraceWaterfall({ spans }: { spans: readonly TraceSpan[] }) {
  const [view, setView] = useState<View>('waterfall')
  const waterfalls = layoutTrace(spans)
  return (
    <>
      <ViewSwitch view={view} onChange={setView} />
      {view === 'table' ? (
        <TraceTable waterfalls={waterfalls} />
      ) : (
        <div className="waterfalls" data-waterfall={waterfalls.length}>
          {waterfalls.map((waterfall) => (
            <figure key={waterfall.traceId} className="waterfall" data-trace-id={waterfall.traceId}>
              <figcaption>
                Attempt {waterfall.attempt} · {formatDuration(waterfall.durationMs)} · <span className="muted">trace {waterfall.traceId}</span>
              </figcaption>
              {waterfall.rows.map((row) => (
                <div key={row.span.spanId} className="span-row" data-span={row.span.name} data-span-status={row.span.status}>
                  <span className="span-name" style={{ paddingLeft: `${row.depth * 14}px` }} title={row.span.statusMessage ?? row.span.name}>
                    {row.span.name}
                    {/* A failed span is told by more than its red bar. */}
                    {row.span.status === 'error' && <span className="span-failed"> (failed)</span>}
                  </span>
                  <span className="time-axis" aria-hidden="true">
                    <span className={`time-bar span-bar span-${row.span.status}`} style={{ left: `${row.left * 100}%`, width: `${row.width * 100}%` }} />
                    {row.ticks.map((tick) => (
                      <span
                        key={`${tick.name}-${tick.offsetMs}`}
                        className="span-tick"
                        data-event={tick.name}
                        title={`${tick.name} at ${formatDuration(tick.offsetMs)}`}
                        style={{ left: `${tick.at * 100}%` }}
                      />
                    ))}
                  </span>
                  <span className="span-duration">{formatDuration(row.durationMs)}</span>
                </div>
              ))}
            </figure>
          ))}
        </div>
      )}
    </>
  )
}
