/**
 * Providers and profiles: the four built-in providers and every saved profile, with its
 * model, endpoint, where its key comes from, its limits, and whether it is paused.
 */
import { PROVIDER_KINDS, PROVIDER_LABELS } from '../../../../shared/providers'
import type { ProviderPause } from '../../../../shared/resilience'
import { formatCount, formatCreated } from '../jobs/format'
import type { Profile } from './settings'
import { useSettings } from './use-settings'
import { TableScroll } from '../../components/TableScroll'

function PauseCell({ provider, pause }: { provider: string; pause: ProviderPause | undefined }) {
  const pauseProvider = useSettings((state) => state.pauseProvider)
  const resumeProvider = useSettings((state) => state.resumeProvider)
  const busy = useSettings((state) => state.busy !== null)
  return pause ? (
    <button type="button" className="button button-small" disabled={busy} data-resume={provider} onClick={() => void resumeProvider(provider)}>
      Resume
    </button>
  ) : (
    <button type="button" className="button button-small" disabled={busy} data-pause={provider} onClick={() => void pauseProvider(provider)}>
      Pause
    </button>
  )
}

function PausedNote({ pause }: { pause: ProviderPause | undefined }) {
  if (!pause) return null
  return (
    <span className="badge badge-warn" title={`${pause.reason}, since ${new Date(pause.pausedAt).toLocaleString()}`} data-paused-provider>
      paused {formatCreated(pause.pausedAt)}
    </span>
  )
}

function keySource(profile: Profile): string {
  if (profile.hasKey) return 'key stored'
  if (profile.keyFile) return `key file ${profile.keyFile}`
  if (profile.provider === 'openai') return 'OPENAI_API_KEY, if set'
  if (profile.provider === 'anthropic') return 'ANTHROPIC_API_KEY, if set'
  return 'no key needed'
}

function limitsText(profile: Profile): string {
  const { requestsPerMinute, tokensPerMinute, maxConcurrent } = profile.limits ?? {}
  const parts = [
    requestsPerMinute && `${formatCount(requestsPerMinute)} requests/min`,
    tokensPerMinute && `${formatCount(tokensPerMinute)} tokens/min`,
    maxConcurrent && `${formatCount(maxConcurrent)} at once`,
  ].filter(Boolean)
  return parts.length ? parts.join(' · ') : 'no limits'
}

function ProfileRow({ profile, pause }: { profile: Profile; pause: ProviderPause | undefined }) {
  const edit = useSettings((state) => state.editProfile)
  const askRemove = useSettings((state) => state.askRemove)
  return (
    <tr data-profile={profile.name} data-has-key={String(profile.hasKey)}>
      <td>
        <strong>{profile.name}</strong> <PausedNote pause={pause} />
      </td>
      <td>{PROVIDER_LABELS[profile.provider]}</td>
      <td>
        <span className="provider">{profile.model ?? 'provider default'}</span>
        {profile.baseUrl && <span className="model">{profile.baseUrl}</span>}
      </td>
      <td data-key-source>{keySource(profile)}</td>
      <td data-limits>{limitsText(profile)}</td>
      <td className="cell-actions">
        <button type="button" className="button button-small" data-edit={profile.name} onClick={() => edit(profile.name)}>
          Edit
        </button>
        <PauseCell provider={profile.name} pause={pause} />
        <button type="button" className="button button-small button-danger" onClick={() => askRemove(profile.name)}>
          Remove
        </button>
      </td>
    </tr>
  )
}

export function Providers() {
  const profiles = useSettings((state) => state.profiles)
  const pauses = useSettings((state) => state.pauses)
  const newProfile = useSettings((state) => state.newProfile)
  const pauseOf = (name: string) => pauses.find((pause) => pause.provider === name)
  return (
    <section className="panel" aria-labelledby="providers-title" data-profiles={profiles.length}>
      <header className="panel-head">
        <h2 className="panel-title" id="providers-title">
          Providers and profiles
        </h2>
        <span className="muted">a profile is a provider with its model, endpoint, key and limits, named for jobs to use</span>
        <div className="panel-actions">
          <button type="button" className="button button-primary" data-new-profile onClick={newProfile}>
            Add profile
          </button>
        </div>
      </header>
      <TableScroll label="Providers and profiles">
        <table className="data-table">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Provider</th>
              <th scope="col">Model / endpoint</th>
              <th scope="col">API key</th>
              <th scope="col">Limits</th>
              <th scope="col">
                <span className="visually-hidden">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {PROVIDER_KINDS.map((kind) => (
              <tr key={kind} data-provider={kind}>
                <td>
                  <strong>{kind}</strong> <PausedNote pause={pauseOf(kind)} />
                </td>
                <td>{PROVIDER_LABELS[kind]}</td>
                <td className="muted">built in: jobs name the model</td>
                <td className="muted">{kind === 'openai' ? 'OPENAI_API_KEY' : kind === 'anthropic' ? 'ANTHROPIC_API_KEY' : 'no key needed'}</td>
                <td className="muted">no limits</td>
                <td className="cell-actions">
                  <PauseCell provider={kind} pause={pauseOf(kind)} />
                </td>
              </tr>
            ))}
            {profiles.map((profile) => (
              <ProfileRow key={profile.name} profile={profile} pause={pauseOf(profile.name)} />
            ))}
          </tbody>
        </table>
      </TableScroll>
      {profiles.length === 0 && (
        <p className="panel-body muted" data-no-profiles>
          No profiles yet. Add one to give a local server (Ollama, vLLM, LM Studio) or a hosted model a name, a key and rate limits; until then jobs run on the
          simulator unless they name a provider.
        </p>
      )}
    </section>
  )
}
