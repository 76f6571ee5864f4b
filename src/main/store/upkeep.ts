/**
 * What an engine, and a CLI with no engine, ask of a store beyond the queue: its health
 * checks, its size, a probe that tells whether writes are taken again after a full disk, how
 * a damaged store is named, and the care it needs while an engine runs (SQLite's: WAL checkpoints, a quick_check at start, daily backups). Callers hold a
 * StoreUpkeep (`store.upkeep`) and never learn which store they have (issue 15: the storage
 * wing); SQLite's is store/sqlite/upkeep.ts.
 */
import type { BackupsConfig, DailyBackups } from './sqlite/db/daily-backups'
import type { IntegrityCheck } from './sqlite/db/integrity'
import type { SectionFile } from '../diagnostics/bundle-writer'
import type { HealthCheck } from '../health/registry'

/** A track as the gates hold it (queue/store.ts's Track), spelled here so the queue's interfaces can name this one. */
interface HeldTrack {
  provider: string
  model: string | null
  batchId: number | null
}

/** A value, or for a store on a server the promise of one. */
type Awaitable<T> = T | Promise<T>

export interface UpkeepHooks {
  /** A background write (a checkpoint) failed: `code` is the store's own (SQLITE_FULL...). */
  onWriteFailure(message: string, code: string | undefined): void
  log: { info(message: string): void; warn(message: string): void }
}

/** What an engine's start set going, stopped with the engine. */
export interface RunningUpkeep {
  /** The check of the store's pages the engine starts with: health reports it, backups wait for it, damage met later is noted on it. */
  readonly integrity: IntegrityCheck
  /** Backups on a schedule, while the engine runs. */
  startBackups(config: BackupsConfig, options: { dir: string; freeDiskBytes(): number; minFreeDiskBytes: number }): DailyBackups
  stop(): Promise<void>
}

/** What a diagnostic bundle reads of the store itself, as the bundle's files. */
export interface StoreBundleFiles {
  /** integrity.txt: the store's own check of its pages, or who checks them. */
  integrity(): Promise<SectionFile[]>
  /** traces.json: the newest spans, at most `limit`. */
  traces(limit: number): Promise<SectionFile[]>
}

export interface StoreUpkeep {
  /** The store as an operator names it: its database file, or its server's URL (password masked). */
  readonly name: string
  /** The data directory the store keeps its file in (logs, backups and settings sit beside it); null for a store on a server. */
  readonly dataDir: string | null
  /** Starts what a running engine keeps going beside the store. */
  start(hooks: UpkeepHooks, options: { checkpointMs: number }): RunningUpkeep
  /**
   * The checks of the store itself: writable (or why writes are refused), sound (the engine's start-up check when given,
   * else one run on demand), room on its disk.
   */
  healthChecks(options: { minFreeDiskBytes?: number | undefined; writesRefused?: () => string | null; integrity?: IntegrityCheck | undefined }): HealthCheck[]
  /** Bytes the store takes on disk. */
  sizeBytes(): Awaitable<number>
  /** Throws while the store still refuses writes (a full disk); returns once one commits. */
  commitProbe(): Awaitable<void>
  /** Due jobs a gate holds now, as `held` says of their track (nothing is read while no gate holds anything). */
  heldJobs(gates: { holdingAny(now: number): boolean }, dueQueued: number, held: (track: HeldTrack, now: number) => boolean): Awaitable<number>
  /** A store error as the operator should read it: the store named, and what to do when it is damaged. */
  namedDamage(error: unknown): unknown
  readonly bundleFiles: StoreBundleFiles
}
