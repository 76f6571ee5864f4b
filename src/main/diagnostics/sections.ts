/**
 * What a bundle holds (DESIGN.md, "Diagnostics bundle"), one section a file or folder,
 * each bounded: most come from the contract's own operations, so a bundle shows what the
 * app and the CLI show, no more.
 */
import type { OperationName, OperationOutput } from '../../shared/contract'
import type { StoreBundleFiles } from '../store/upkeep'
import { logsDir } from '../telemetry/log'
import type { BundleSection, SectionContent } from './bundle-writer'
import { DEFAULT_LOG_BYTES, logTail } from './log-tail'
import { systemInfo } from './system'

/** An operation through the contract (input validated, defaults applied), as the bundle calls the others. */
export type Call = <K extends OperationName>(name: K, input?: unknown) => Promise<OperationOutput<K>>

export interface SectionSources {
  call: Call
  dataDir: string
  genopsVersion: string
  /** The engine's /metrics text, or a note of why there is none; null when this process records no metrics. */
  metricsText(): Promise<string | null>
  /** What the store itself gives a bundle: its integrity check's words and its newest spans. */
  storeFiles: StoreBundleFiles
}

/** How much of each list a bundle keeps: enough to see a pattern, little enough to read (the newest 200 spans: a few dozen attempts' traces). */
export const SECTION_LIMITS = { failureGroups: 200, deadSample: 50, alertTransitions: 500, spans: 200, logBytes: DEFAULT_LOG_BYTES }

export function bundleSections(sources: SectionSources): BundleSection[] {
  const { call } = sources
  const one = (name: string, read: () => Promise<SectionContent>): BundleSection => ({ name, collect: async () => [{ name, ...(await read()) }] })
  const json = (name: string, read: () => Promise<unknown>) => one(name, async () => ({ json: await read() }))
  // A full list says nothing was left out; a list at its limit may have been cut.
  const upTo = (limit: number, found: number, what: string) => (found >= limit ? { truncated: `the newest ${limit} ${what}` } : {})

  return [
    json('system.json', async () => systemInfo(sources.genopsVersion)),
    json('settings.json', () => settings(call)),
    json('health.json', () => call('healthReport')),
    json('queue.json', () => call('queueStats')),
    one('failures.json', async () => {
      const { groups } = await call('listFailureGroups', { limit: SECTION_LIMITS.failureGroups })
      return { json: { groups }, ...upTo(SECTION_LIMITS.failureGroups, groups.length, 'failure groups') }
    }),
    one('dead-sample.json', async () => {
      const [stats, { jobs }] = await Promise.all([call('deadStats'), call('listDead', { limit: SECTION_LIMITS.deadSample })])
      return { json: { stats, jobs }, ...upTo(SECTION_LIMITS.deadSample, stats.total, `of ${stats.total} dead jobs`) }
    }),
    one('alerts.json', async () => {
      // The rules as they stand (the operator's changes included) beside what they did.
      const [{ alerts }, { transitions }] = await Promise.all([call('listAlerts'), call('alertHistory', { limit: SECTION_LIMITS.alertTransitions })])
      return { json: { alerts, transitions }, ...upTo(SECTION_LIMITS.alertTransitions, transitions.length, 'alert transitions') }
    }),
    { name: 'integrity.txt', collect: () => sources.storeFiles.integrity() },
    one('metrics.txt', async () => ({ text: (await sources.metricsText()) ?? '# no metrics: this process runs no engine, or its metrics are off\n' })),
    { name: 'traces.json', collect: () => sources.storeFiles.traces(SECTION_LIMITS.spans) },
    // Last: the largest section, and the one to cut if the bundle's limit is reached.
    { name: 'logs/', collect: () => logTail(logsDir(sources.dataDir), SECTION_LIMITS.logBytes) },
  ]
}

/** The operator's settings as the app shows them; profiles name a key file at most, and whether a key is kept, never a key. */
async function settings(call: Call): Promise<unknown> {
  const [providers, prices, budgets, breakers, pauses] = await Promise.all([
    call('listProviders'),
    call('listPrices'),
    call('listBudgets'),
    call('listBreakers'),
    call('listProviderPauses'),
  ])
  return { providers: providers.profiles, prices: prices.prices, budgets: budgets.budgets, breakers: breakers.breakers, providerPauses: pauses.pauses }
}
