/**
 * What the settings screen shows and does: provider profiles (add, edit with limits and a
 * write-only API key, remove), paused providers, breakers, and the health report. Loaded
 * once; breakers and pauses refreshed (throttled) as the engine's counts and notices say
 * something changed; health checked on demand.
 */
import type { ScreenNotice } from '../../components/screen'
import { screenAction } from '../../stores/screen-action'
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { OperationOutput } from '../../../../shared/contract'
import type { HealthReport } from '../../../../shared/health'
import { fallbackProblem, ProviderProfile, type ProviderKind } from '../../../../shared/providers'
import type { BreakerInfo, ProviderPause } from '../../../../shared/resilience'
import type { SettingRow } from '../../../../shared/settings'
import type { Client } from '../../api'
import { throttle } from '../../stores/throttle'
import { sayProblem } from '../../words'

export const REFRESH_MS = 2000

export type Profile = OperationOutput<'listProviders'>['profiles'][number]

/** The profile form as typed: every field a string until it is saved. */
export interface ProfileDraft {
  /** The profile being edited, or null for a new one (its name can then be set). */
  editing: string | null
  name: string
  provider: ProviderKind
  model: string
  baseUrl: string
  keyFile: string
  /** Write-only: never filled from the engine; empty keeps the key already stored. */
  apiKey: string
  requestsPerMinute: string
  tokensPerMinute: string
  maxConcurrent: string
  /** Fallback profiles (or profile/model), in order, comma-separated: where its jobs run while it is paused or its breaker open. */
  fallbacks: string
  /** Kept as it was: the form does not edit job config defaults. */
  config?: ProviderProfile['config']
}

export interface SettingsState {
  status: 'loading' | 'ready' | 'error'
  loadProblem: string | null
  notice: ScreenNotice | null
  profiles: Profile[]
  pauses: ProviderPause[]
  breakers: BreakerInfo[]
  health: HealthReport | null
  healthState: 'checking' | 'ready' | 'error'
  /** The engine's settings as it runs with them: shown, changed with `genops settings set`. */
  engineSettings: SettingRow[] | null
  engineSettingsState: 'loading' | 'ready' | 'error'
  draft: ProfileDraft | null
  formProblem: string | null
  saving: boolean
  confirmingRemove: string | null
  busy: string | null

  start(): () => void
  checkHealth(): Promise<void>
  newProfile(): void
  editProfile(name: string): void
  editDraft(patch: Partial<ProfileDraft>): void
  cancelEdit(): void
  saveProfile(): Promise<void>
  askRemove(name: string): void
  cancelRemove(): void
  removeProfile(): Promise<boolean>
  pauseProvider(provider: string): Promise<boolean>
  resumeProvider(provider: string): Promise<boolean>
  resetBreaker(name: string): Promise<boolean>
  holdBreakerOpen(name: string): Promise<boolean>
  dismissNotice(): void
}

const DURATION_UNITS: [number, string][] = [
  [86_400_000, 'd'],
  [3_600_000, 'h'],
  [60_000, 'min'],
  [1000, 's'],
]

/** A setting's value in words: durations for keys in ms, sizes for bytes, "—" for none. */
export function formatSettingValue(key: string, value: unknown): string {
  if (value === undefined || value === null) return '—'
  if (typeof value === 'number' && key.endsWith('Ms')) {
    const unit = DURATION_UNITS.find(([ms]) => value >= ms && value % ms === 0)
    return unit ? `${value / unit[0]} ${unit[1]}` : `${value} ms`
  }
  if (typeof value === 'number' && key.endsWith('Bytes')) {
    return value >= 1024 * 1024 && value % (1024 * 1024) === 0 ? `${value / (1024 * 1024)} MiB` : `${value} bytes`
  }
  return typeof value === 'string' ? value : JSON.stringify(value)
}

const FIELD_LABELS: Record<string, string> = {
  name: 'Name',
  provider: 'Provider',
  model: 'Model',
  baseUrl: 'Base URL',
  keyFile: 'Key file',
  requestsPerMinute: 'Requests per minute',
  tokensPerMinute: 'Tokens per minute',
  maxConcurrent: 'At once',
  fallbacks: 'Fallbacks',
}

const blankDraft = (): ProfileDraft => ({
  editing: null,
  name: '',
  provider: 'openai',
  model: '',
  baseUrl: '',
  keyFile: '',
  apiKey: '',
  requestsPerMinute: '',
  tokensPerMinute: '',
  maxConcurrent: '',
  fallbacks: '',
})

export function draftOf(profile: Profile): ProfileDraft {
  const number = (value: number | undefined) => (value === undefined ? '' : String(value))
  return {
    editing: profile.name,
    name: profile.name,
    provider: profile.provider,
    model: profile.model ?? '',
    baseUrl: profile.baseUrl ?? '',
    keyFile: profile.keyFile ?? '',
    apiKey: '',
    requestsPerMinute: number(profile.limits?.requestsPerMinute),
    tokensPerMinute: number(profile.limits?.tokensPerMinute),
    maxConcurrent: number(profile.limits?.maxConcurrent),
    fallbacks: (profile.fallbacks ?? []).join(', '),
    config: profile.config,
  }
}

/**
 * The draft as the contract takes it, checked with the contract's own schema, and its
 * fallbacks against the profiles there are (`others`); or what is wrong, field by field.
 */
export function profileOf(
  draft: ProfileDraft,
  others: readonly Pick<ProviderProfile, 'name' | 'fallbacks'>[] = [],
): { profile: ProviderProfile; apiKey?: string } | { problem: string } {
  const text = (value: string) => (value.trim() === '' ? undefined : value.trim())
  const problems: string[] = []
  const limit = (field: 'requestsPerMinute' | 'tokensPerMinute' | 'maxConcurrent'): number | undefined => {
    const value = text(draft[field])
    if (value === undefined) return undefined
    const number = Number(value.replace(/[_,\s]/g, ''))
    if (!Number.isInteger(number) || number < 1) problems.push(`${FIELD_LABELS[field]}: a whole number of 1 or more, or empty for no limit`)
    return number
  }
  const limits = { requestsPerMinute: limit('requestsPerMinute'), tokensPerMinute: limit('tokensPerMinute'), maxConcurrent: limit('maxConcurrent') }
  const candidate = {
    name: draft.name.trim(),
    provider: draft.provider,
    model: text(draft.model),
    baseUrl: text(draft.baseUrl),
    keyFile: text(draft.keyFile),
    config: draft.config,
    limits: Object.values(limits).some((value) => value !== undefined) ? limits : undefined,
    fallbacks: fallbackList(draft.fallbacks),
  }
  if (problems.length) return { problem: problems.join('. ') }
  const parsed = ProviderProfile.safeParse(Object.fromEntries(Object.entries(candidate).filter(([, value]) => value !== undefined)))
  if (!parsed.success) {
    return {
      problem: parsed.error.issues
        .slice(0, 3)
        .map((issue) => `${FIELD_LABELS[String(issue.path.at(-1))] ?? issue.path.join('.')}: ${issue.message}`)
        .join('. '),
    }
  }
  const fallbacks = parsed.data.fallbacks ? fallbackProblem(parsed.data, others) : null
  if (fallbacks) return { problem: `${FIELD_LABELS.fallbacks}: ${fallbacks}` }
  const apiKey = draft.apiKey.trim()
  return apiKey ? { profile: parsed.data, apiKey } : { profile: parsed.data }
}

/** The profile's job defaults with cacheSystemPrompt set, or taken out when off: an unticked box leaves the config as it was. */
export function withCacheSystemPrompt(config: ProfileDraft['config'], on: boolean): ProfileDraft['config'] {
  const { cacheSystemPrompt: _, ...rest } = config ?? {}
  const next = on ? { ...rest, cacheSystemPrompt: true } : rest
  return Object.keys(next).length > 0 ? next : undefined
}

/** "backup, other/gpt-4o-mini" as the list the contract takes; empty when none is named. */
function fallbackList(text: string): string[] | undefined {
  const names = text
    .split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '')
  return names.length > 0 ? names : undefined
}

export function createSettingsStore(client: Client): StoreApi<SettingsState> {
  return createStore<SettingsState>()((set, get) => {
    async function loadProfiles(): Promise<void> {
      const [{ profiles }, { pauses }] = await Promise.all([client.listProviders({}), client.listProviderPauses({})])
      set({ profiles, pauses })
    }

    async function loadResilience(): Promise<void> {
      const [{ pauses }, { breakers }] = await Promise.all([client.listProviderPauses({}), client.listBreakers({})])
      set({ pauses, breakers })
    }

    const refresh = throttle(async () => {
      try {
        await loadResilience()
      } catch (error) {
        set({ notice: { tone: 'error', text: `Could not refresh breakers and pauses: ${sayProblem(error)}` } })
      }
    }, REFRESH_MS)

    const act = screenAction(get, set)

    return {
      status: 'loading',
      loadProblem: null,
      notice: null,
      profiles: [],
      pauses: [],
      breakers: [],
      health: null,
      healthState: 'checking',
      engineSettings: null,
      engineSettingsState: 'loading',
      draft: null,
      formProblem: null,
      saving: false,
      confirmingRemove: null,
      busy: null,

      start() {
        let live = true
        const stop = client.onEvent((event) => {
          if (event.type === 'counts' || event.type === 'notice') refresh.request()
        })
        Promise.all([loadProfiles(), loadResilience()])
          .then(() => live && set({ status: 'ready' }))
          .catch((error: unknown) => live && set({ status: 'error', loadProblem: sayProblem(error) }))
        void get().checkHealth()
        client.listSettings({}).then(
          ({ settings }) => live && set({ engineSettings: settings, engineSettingsState: 'ready' }),
          (error: unknown) =>
            live && set({ engineSettingsState: 'error', notice: { tone: 'error', text: `Could not read the settings: ${sayProblem(error)}` } }),
        )
        return () => {
          live = false
          stop()
          refresh.cancel()
        }
      },

      async checkHealth() {
        set({ healthState: 'checking' })
        try {
          set({ health: await client.healthReport({}), healthState: 'ready' })
        } catch (error) {
          set({ healthState: 'error', notice: { tone: 'error', text: `Could not check health: ${sayProblem(error)}` } })
        }
      },

      newProfile: () => set({ draft: blankDraft(), formProblem: null }),
      editProfile(name) {
        const profile = get().profiles.find((p) => p.name === name)
        if (profile) set({ draft: draftOf(profile), formProblem: null })
      },
      editDraft(patch) {
        const { draft } = get()
        if (draft) set({ draft: { ...draft, ...patch }, formProblem: null })
      },
      cancelEdit: () => set({ draft: null, formProblem: null }),

      async saveProfile() {
        const { draft, saving } = get()
        if (!draft || saving) return
        const checked = profileOf(draft, get().profiles)
        if ('problem' in checked) return set({ formProblem: checked.problem })
        set({ saving: true, formProblem: null })
        try {
          const saved = await client.saveProvider({ ...checked.profile, ...(checked.apiKey ? { apiKey: checked.apiKey } : {}) })
          await loadProfiles()
          set({ draft: null, notice: { tone: 'info', text: `Profile ${saved.name} saved${saved.hasKey ? ', with its key stored' : ''}.` } })
        } catch (error) {
          // The engine's words, plainly: "this GenOps keeps no API keys…" says what to do instead.
          set({ formProblem: `Not saved: ${sayProblem(error)}` })
        } finally {
          set({ saving: false })
        }
      },

      askRemove: (name) => set({ confirmingRemove: name }),
      cancelRemove: () => set({ confirmingRemove: null }),
      removeProfile: () =>
        act('remove', async () => {
          const name = get().confirmingRemove
          set({ confirmingRemove: null })
          if (!name) return 'Nothing to remove.'
          const { removed } = await client.removeProvider({ name })
          await loadProfiles()
          return removed ? `Profile ${name} removed. Jobs that name it fail until a profile of that name exists again.` : `There was no profile ${name}.`
        }),

      pauseProvider: (provider) =>
        act('pause', async () => {
          const { pauses } = await client.pauseProvider({ provider })
          set({ pauses })
          return `${provider} paused: its running attempts finish, its queued jobs wait until you resume it.`
        }),
      resumeProvider: (provider) =>
        act('resume', async () => {
          await client.resumeProvider({ provider })
          await loadResilience()
          return `${provider} resumed.`
        }),

      resetBreaker: (name) =>
        act('breaker', async () => {
          await client.resetBreaker({ name })
          await loadResilience()
          return `Breaker ${name} closed: its jobs are claimed again.`
        }),
      holdBreakerOpen: (name) =>
        act('breaker', async () => {
          await client.openBreaker({ name })
          await loadResilience()
          return `Breaker ${name} held open until you reset it: its jobs wait and burn no attempts.`
        }),

      dismissNotice: () => set({ notice: null }),
    }
  })
}
