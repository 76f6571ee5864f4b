/** A job's output: JSON pretty and foldable (objects and arrays as disclosure), text as written. */
import { foldedLabel, viewOutput } from './output'

/** Nested deeper than this, objects start folded. */
const OPEN_DEPTH = 2

function JsonValue({ value, depth }: { value: unknown; depth: number }) {
  if (value === null || typeof value !== 'object') return <span className={`json-${value === null ? 'null' : typeof value}`}>{JSON.stringify(value)}</span>
  const entries = Array.isArray(value) ? value.map((item, i) => [String(i), item] as const) : Object.entries(value)
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}']
  if (entries.length === 0) return <span>{`${open}${close}`}</span>
  return (
    <details className="json-node" open={depth < OPEN_DEPTH}>
      <summary>
        <span className="json-open">{open}</span>
        <span className="json-folded">{foldedLabel(value)}</span>
      </summary>
      <ul className="json-entries">
        {entries.map(([key, item]) => (
          <li key={key}>
            {!Array.isArray(value) && <span className="json-key">{JSON.stringify(key)}: </span>}
            <JsonValue value={item} depth={depth + 1} />
          </li>
        ))}
      </ul>
      <span className="json-close">{close}</span>
    </details>
  )
}

export function OutputView({ output }: { output: string | null }) {
  const view = viewOutput(output)
  if (view.kind === 'none') return <p className="muted">No output yet.</p>
  if (view.kind === 'json') {
    return (
      <div className="output output-json" data-output="json">
        <JsonValue value={view.value} depth={0} />
      </div>
    )
  }
  return (
    <div data-output="text">
      <pre className="output output-text">{view.text}</pre>
      {view.cut && <p className="muted">The output is longer than this: the artifact file holds all of it.</p>}
    </div>
  )
}
