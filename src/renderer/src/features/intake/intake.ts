/**
 * A drop, from the files landing on the window to the batch they became: read each file
 * (FileReader, with progress), send it to the engine to be checked (previewIntake, a file
 * a call so no request is larger than one file), show what each gives or what is wrong
 * with it, then enqueue the good ones with the operator's choices (commitIntake) or
 * discard the lot (cancelIntake). Files are refused here before upload only for what the
 * name and size already tell (wrong type, over 64 MiB), in the engine's own words.
 */
import { createStore, type StoreApi } from 'zustand/vanilla'
import type { Estimate } from '../../../../shared/estimate'
import {
  formatOf,
  MAX_INTAKE_FILES,
  refusalBeforeUpload,
  type IntakeCommitted,
  type IntakeDefaults,
  type IntakeFile,
  type IntakeLoad,
  type IntakePreview,
} from '../../../../shared/intake'
import { BATCH_KINDS, type Lane } from '../../../../shared/job-config'
import { PRIORITIES, type Priority } from '../../../../shared/jobs'
import { PROVIDER_KINDS, PROVIDER_LABELS, type ProviderKind } from '../../../../shared/providers'
import { ApiError, type Client } from '../../api'
import { plural, sayProblem } from '../../words'
import { createEstimator, type EstimateState } from './intake-estimate'
import { readAsBase64, type ReadFile } from './read-file'

/** What the window announces in `data-intake-state`; `dragging` wins while files are held over it. */
export type IntakePhase = 'idle' | 'reading' | 'preview' | 'committing' | 'done' | 'error'

export interface IntakeProgress {
  /** 1-based: the file being read or checked. */
  file: number
  files: number
  name: string
  step: 'reading' | 'checking'
  /** Bytes read so far across the drop, of `totalBytes`. */
  doneBytes: number
  totalBytes: number
  /** While a big file is checked: the line the engine reached, of the file's lines. */
  checked?: { line: number; lines: number }
}

/** The dialog's fields as typed; checked when Enqueue is pressed. */
export interface IntakeChoices {
  /** '' leaves each job's own provider, else the simulator. */
  provider: string
  model: string
  priority: Priority | ''
  /** Comma-separated. */
  tags: string
  /** '' for no cap. */
  maxConcurrency: string
  /** batch: every job goes through its provider's batch API; realtime leaves each job's own lane (real-time unless it names one). */
  lane: Lane
  /** "Don't use cached answers": every job calls its provider (config.cache false). */
  noCache: boolean
}

export interface ProviderChoice {
  value: string
  label: string
  /** The provider kind it runs on: whether the batch lane is offered. */
  kind: ProviderKind
}

export interface IntakeState {
  phase: IntakePhase
  dragging: boolean
  progress: IntakeProgress | null
  intakeId: string | null
  /** Every file of the drop in the order dropped, refused ones with their errors. */
  files: IntakeFile[]
  totalJobs: number
  choices: IntakeChoices
  providers: ProviderChoice[]
  /** What went wrong: the whole drop (phase error) or the last Enqueue (phase preview). */
  problem: string | null
  committed: IntakeCommitted | null
  /** What the good files would use and cost with the choices made, asked again as they change. */
  estimate: Estimate | null
  estimateState: EstimateState
  estimateProblem: string | null
  /** A big drop's load while it is enqueued (from 5,000 jobs, in slices), then its end; null when none was told. */
  load: IntakeLoad | null

  setDragging(dragging: boolean): void
  /** Reads and checks files dropped or chosen; while a drop is shown, adds to it. */
  take(files: readonly File[]): Promise<void>
  /** Shows files the engine already checked (the desktop app was handed them) as a drop's preview. */
  showPreview(preview: IntakePreview): void
  choose(choices: Partial<IntakeChoices>): void
  commit(): Promise<void>
  /** Discards the drop (nothing is enqueued) and closes the dialog. */
  cancel(): Promise<void>
  /** Closes the dialog after Enqueue or an error. */
  close(): void
}

const NO_CHOICES: IntakeChoices = { provider: '', model: '', priority: '', tags: '', maxConcurrency: '', lane: 'realtime', noCache: false }

const BUILT_IN: ProviderChoice[] = PROVIDER_KINDS.map((kind: ProviderKind) => ({ value: kind, label: `${PROVIDER_LABELS[kind]} (${kind})`, kind }))

const NO_ESTIMATE = { estimate: null, estimateState: 'idle', estimateProblem: null } as const

/**
 * Whether the batch lane can be chosen: the chosen provider or profile runs on a kind with a
 * batch API; with none chosen, when every job's own provider has one (the estimate knows).
 */
export function batchOffered(state: Pick<IntakeState, 'choices' | 'providers' | 'estimate'>): boolean {
  const { provider } = state.choices
  if (provider === '') return state.estimate?.batchOffered ?? false
  const kind = state.providers.find((choice) => choice.value === provider)?.kind
  return kind !== undefined && BATCH_KINDS.includes(kind as (typeof BATCH_KINDS)[number])
}

/** The choices as the contract takes them, or what is wrong with one of them. */
export function choicesToCommit(
  choices: IntakeChoices,
): { defaults: IntakeDefaults; maxConcurrency?: number; lane?: Lane; cache?: boolean } | { problem: string } {
  // The lane shown is the lane sent, real-time too: a profile whose default is batch does not overrule the dialog.
  const lanes = { lane: choices.lane, ...(choices.noCache ? { cache: false } : {}) }
  const defaults: IntakeDefaults = {}
  if (choices.provider) defaults.provider = choices.provider
  if (choices.model.trim()) defaults.model = choices.model.trim()
  if (choices.priority) {
    if (!(PRIORITIES as readonly string[]).includes(choices.priority)) return { problem: 'Priority is high, normal or low.' }
    defaults.priority = choices.priority
  }
  const tags = [...new Set(choices.tags.split(',').map((tag) => tag.trim()))].filter(Boolean)
  if (tags.some((tag) => tag.length > 100)) return { problem: 'A tag is at most 100 characters.' }
  if (tags.length > 50) return { problem: 'Give at most 50 tags.' }
  if (tags.length) defaults.tags = tags
  const cap = choices.maxConcurrency.trim()
  if (cap === '') return { defaults, ...lanes }
  const maxConcurrency = Number(cap)
  if (!Number.isInteger(maxConcurrency) || maxConcurrency < 1 || maxConcurrency > 10_000) {
    return { problem: 'The batch cap is a whole number of jobs from 1 to 10,000, or empty for no cap.' }
  }
  return { defaults, maxConcurrency, ...lanes }
}

const isAbort = (error: unknown) => error instanceof DOMException && error.name === 'AbortError'

export function createIntakeStore(client: Client, readFile: ReadFile = readAsBase64): StoreApi<IntakeState> {
  return createStore<IntakeState>()((set, get) => {
    /** The drop being read; a new drop or a cancel aborts it. */
    let reading: AbortController | null = null
    const estimator = createEstimator(client, (answer) => {
      set(answer)
      // Each job's own providers turned out to have no batch API: the batch lane goes, and the estimate is asked again.
      if (answer.estimate && get().choices.lane === 'batch' && !batchOffered(get())) {
        set({ choices: { ...get().choices, lane: 'realtime' } })
        estimate()
      }
    })

    /** Asks for the estimate of the drop in hand with the choices that change it (priority, tags and the cap do not). */
    function estimate(): void {
      const { intakeId, choices, totalJobs, phase } = get()
      if (!intakeId || totalJobs === 0 || phase !== 'preview') return
      const model = choices.model.trim()
      const defaults = { ...(choices.provider ? { provider: choices.provider } : {}), ...(model ? { model } : {}) }
      estimator.ask({ intakeId, defaults, ...(choices.lane === 'batch' ? { lane: 'batch' } : {}), ...(choices.noCache ? { cache: false } : {}) })
    }

    /** Asked for at every new drop: a profile saved in Settings since is there to choose. */
    async function loadProviders(): Promise<void> {
      try {
        const { profiles } = await client.listProviders({})
        const named = profiles.map((profile) => ({
          value: profile.name,
          label: `${profile.name} (profile: ${PROVIDER_LABELS[profile.provider]})`,
          kind: profile.provider,
        }))
        set({ providers: [...BUILT_IN, ...named] })
      } catch {
        // The built-in providers are still there to choose.
      }
    }

    function fail(problem: string): void {
      const { intakeId } = get()
      if (intakeId) void client.cancelIntake({ intakeId }).catch(() => {})
      set({ phase: 'error', progress: null, problem, intakeId: null })
    }

    return {
      phase: 'idle',
      dragging: false,
      progress: null,
      intakeId: null,
      files: [],
      totalJobs: 0,
      choices: NO_CHOICES,
      providers: BUILT_IN,
      problem: null,
      committed: null,
      ...NO_ESTIMATE,
      load: null,

      setDragging: (dragging) => set({ dragging }),

      async take(dropped) {
        set({ dragging: false })
        if (dropped.length === 0) return
        const { phase } = get()
        if (phase === 'reading' || phase === 'committing') return
        const adding = phase === 'preview'
        const before = adding ? get().files.length : 0
        if (before + dropped.length > MAX_INTAKE_FILES) {
          const problem = `${dropped.length} files ${adding ? 'added' : 'dropped'}: a drop takes at most ${MAX_INTAKE_FILES} files. Drop them in smaller groups.`
          if (adding) set({ problem })
          else set({ phase: 'error', problem, files: [], totalJobs: 0, intakeId: null, committed: null })
          return
        }
        if (!adding) {
          estimator.stop()
          set({ files: [], totalJobs: 0, intakeId: null, committed: null, choices: NO_CHOICES, load: null, ...NO_ESTIMATE })
          void loadProviders()
        }
        const controller = new AbortController()
        reading = controller
        const totalBytes = dropped.reduce((sum, file) => sum + file.size, 0)
        let doneBytes = 0
        set({ phase: 'reading', problem: null })
        for (const [index, file] of dropped.entries()) {
          const progress = (step: IntakeProgress['step'], loaded: number): IntakeProgress => ({
            file: index + 1,
            files: dropped.length,
            name: file.name,
            step,
            doneBytes: doneBytes + loaded,
            totalBytes,
          })
          const refusal = refusalBeforeUpload(file.name, file.size)
          if (refusal) {
            set({ files: [...get().files, { name: file.name, format: formatOf(file.name), ok: false, jobs: 0, errors: [refusal], moreErrors: 0 }] })
            doneBytes += file.size
            continue
          }
          let contentBase64: string
          try {
            set({ progress: progress('reading', 0) })
            contentBase64 = await readFile(file, (loaded) => set({ progress: progress('reading', loaded) }), controller.signal)
          } catch (error) {
            if (controller.signal.aborted || isAbort(error)) return
            const unreadable = `${file.name}: cannot read the file (${sayProblem(error)})`
            set({ files: [...get().files, { name: file.name, format: formatOf(file.name), ok: false, jobs: 0, errors: [unreadable], moreErrors: 0 }] })
            doneBytes += file.size
            continue
          }
          set({ progress: progress('checking', file.size) })
          // A big file's check comes as engine events, for this call only: the engine names it by our id.
          const checkId = crypto.randomUUID()
          const stopWatching = client.onEvent((event) => {
            if (event.type !== 'intakeCheck' || event.data.checkId !== checkId || controller.signal.aborted || get().phase !== 'reading') return
            set({ progress: { ...progress('checking', file.size), checked: { line: event.data.line, lines: event.data.lines } } })
          })
          try {
            const intakeId = get().intakeId
            const preview = await client
              .previewIntake({ ...(intakeId ? { intakeId } : {}), checkId, files: [{ name: file.name, contentBase64 }] })
              .finally(stopWatching)
            if (controller.signal.aborted) {
              // Cancelled while the engine read it: the engine forgets it too.
              if (!intakeId) void client.cancelIntake({ intakeId: preview.intakeId }).catch(() => {})
              return
            }
            set({ intakeId: preview.intakeId, files: [...get().files, preview.files.at(-1)!], totalJobs: preview.totalJobs })
          } catch (error) {
            if (controller.signal.aborted) return
            return fail(`${file.name} could not be checked: ${sayProblem(error)}`)
          }
          doneBytes += file.size
        }
        reading = null
        set({ phase: 'preview', progress: null })
        estimate()
      },

      showPreview(preview) {
        const { phase, files } = get()
        if (phase === 'reading' || phase === 'preview' || phase === 'committing') {
          // Two intakes cannot be one batch: keep the drop in hand, and let the engine forget the other.
          void client.cancelIntake({ intakeId: preview.intakeId }).catch(() => {})
          const opened = preview.files.map((file) => file.name).join(', ')
          const one = preview.files.length === 1
          set({
            problem: `${opened} ${one ? 'was' : 'were'} opened while ${plural(files.length, 'file')} waited here: open ${one ? 'it' : 'them'} again once these are enqueued or cancelled.`,
          })
          return
        }
        set({
          phase: 'preview',
          dragging: false,
          progress: null,
          intakeId: preview.intakeId,
          files: preview.files,
          totalJobs: preview.totalJobs,
          choices: NO_CHOICES,
          problem: null,
          committed: null,
          load: null,
          ...NO_ESTIMATE,
        })
        void loadProviders()
        estimate()
      },

      choose(choices) {
        set({ choices: { ...get().choices, ...choices }, problem: null })
        // A provider without a batch API cannot keep the batch lane.
        if (get().choices.lane === 'batch' && !batchOffered(get())) set({ choices: { ...get().choices, lane: 'realtime' } })
        // Priority, tags and the cap change neither tokens nor cost.
        if ('provider' in choices || 'model' in choices || 'lane' in choices || 'noCache' in choices) estimate()
      },

      async commit() {
        const { intakeId, choices, phase } = get()
        if (phase !== 'preview') return
        if (!intakeId) return set({ problem: 'Nothing to enqueue: every file was refused.' })
        const parsed = choicesToCommit(choices)
        if ('problem' in parsed) return set({ problem: parsed.problem })
        estimator.stop()
        set({ phase: 'committing', problem: null, load: null })
        // A big drop loads in slices: its progress comes as engine events, for this drop only.
        const stopWatching = client.onEvent((event) => {
          if (event.type === 'intakeLoad' && event.data.intakeId === intakeId && get().phase === 'committing') set({ load: event.data })
        })
        try {
          const committed = await client.commitIntake({ intakeId, ...parsed })
          // The last event may come after the answer: the load is whole once the commit says so.
          const load = get().load
          set({ phase: 'done', committed, intakeId: null, load: load && { ...load, loaded: load.total } })
        } catch (error) {
          const problem = `Nothing was enqueued: ${sayProblem(error)}`
          // A drop the engine no longer holds cannot be enqueued again: only dropping the files again helps.
          if (error instanceof ApiError && error.code === 'NOT_FOUND') set({ phase: 'error', problem, intakeId: null })
          else set({ phase: 'preview', problem, load: null })
        } finally {
          stopWatching()
        }
      },

      async cancel() {
        reading?.abort()
        reading = null
        estimator.stop()
        const { intakeId } = get()
        set({
          phase: 'idle',
          dragging: false,
          progress: null,
          intakeId: null,
          files: [],
          totalJobs: 0,
          problem: null,
          committed: null,
          load: null,
          ...NO_ESTIMATE,
        })
        if (intakeId) await client.cancelIntake({ intakeId }).catch(() => {})
      },

      close() {
        if (get().phase === 'done' || get().phase === 'error')
          set({ phase: 'idle', files: [], totalJobs: 0, problem: null, committed: null, load: null, ...NO_ESTIMATE })
      },
    }
  })
}
