/**
 * The engine's settings, read-only: this machine's (settings.json, flags, GENOPS_*
 * variables) and those every process on the queue shares (the store), each with its value,
 * default and when a change applies. `genops settings set` changes them.
 */
import type { SettingRow } from '../../../../shared/settings'
import { formatSettingValue } from './settings'
import { useSettings } from './use-settings'
import { TableScroll } from '../../components/TableScroll'

function SettingsTable({ rows, caption }: { rows: SettingRow[]; caption: string }) {
  return (
    <TableScroll label={caption}>
      <table className="data-table">
        <caption>{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Setting</th>
            <th scope="col">Value</th>
            <th scope="col">Default</th>
            <th scope="col">A change applies</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.key} data-setting={row.key} data-setting-source={row.source}>
              <td>
                <code>{row.key}</code>
                <div className="muted">{row.description}</div>
              </td>
              <td>{formatSettingValue(row.key, row.value)}</td>
              <td>{formatSettingValue(row.key, row.default)}</td>
              <td>{row.applies}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </TableScroll>
  )
}

export function EngineSettings() {
  const settings = useSettings((state) => state.engineSettings)
  const state = useSettings((state) => state.engineSettingsState)
  const own = settings?.filter((row) => row.lives !== 'store') ?? []
  const shared = settings?.filter((row) => row.lives === 'store') ?? []
  return (
    <section className="panel" aria-labelledby="engine-settings-title" data-engine-settings-state={state}>
      <header className="panel-head">
        <h2 className="panel-title" id="engine-settings-title">
          Engine settings
        </h2>
        <span className="muted">
          change with <code>genops settings set KEY VALUE</code>
        </span>
      </header>
      {settings && (
        <div className="panel-body">
          <SettingsTable rows={own} caption={`This machine's engine: ${own[0]?.lives ?? 'settings.json'}, flags and GENOPS_* variables`} />
          <SettingsTable rows={shared} caption="Every process on the queue: kept in the store" />
        </div>
      )}
    </section>
  )
}
