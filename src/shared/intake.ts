/**
 * Drag-in intake as the window and the API see it: dropped files go up as base64 in one or
 * more `previewIntake` calls (each adds to the same intake), the engine parses them and
 * keeps their jobs for a while, and `commitIntake` enqueues the good files' jobs as one
 * batch. Pure TypeScript and zod; the parsing itself is src/main/intake.
 */
import { z } from 'zod'
import { LANES } from './job-config'
import { JobDefaults } from './jobs'

/** Files one drop may hold. */
export const MAX_INTAKE_FILES = 20
/**
 * Most jobs one drop enqueues, as one batch: a million (a file of a million short lines fits
 * the upload limit). Loaded in slices, out of sight until whole (src/main/store/sqlite/queue/load.ts).
 */
export const MAX_JOBS_PER_DROP = 1_000_000
/** The largest prompt file taken: 64 MiB, as src/main/intake/limits.ts refuses above it. */
export const MAX_INTAKE_FILE_BYTES = 64 * 1024 * 1024
/** The base64 text of a file at the limit. */
export const MAX_INTAKE_BASE64_CHARS = Math.ceil(MAX_INTAKE_FILE_BYTES / 3) * 4
/**
 * The largest `previewIntake` request: one file at the limit, with room for the JSON around
 * it. Clients send large files one call at a time; the HTTP API takes bodies this large
 * for the intake's calls only.
 */
export const MAX_INTAKE_BODY_BYTES = MAX_INTAKE_BASE64_CHARS + 1024 * 1024
/** The file types intake reads, as src/main/intake/parse.ts names them. */
export const INTAKE_EXTENSIONS = ['.txt', '.md', '.jsonl', '.json', '.csv'] as const
/** How long a previewed drop waits to be enqueued or cancelled before it is forgotten: 10 minutes. */
export const INTAKE_TTL_MS = 10 * 60_000

export const IntakeId = z.uuid({ error: 'an intake id is the one previewIntake answered' })

export const IntakeFileInput = z
  .object({
    /** The file's name as dropped (no folder): errors are reported under it. */
    name: z.string().trim().min(1).max(255),
    contentBase64: z.string().max(MAX_INTAKE_BASE64_CHARS, `a file is at most ${MAX_INTAKE_FILE_BYTES} bytes (64 MiB): split it into smaller files`),
  })
  .strict()

export const PreviewIntakeInput = z
  .object({
    /** Adds these files to an intake previewed before (a drop sent a file or a few at a time); a new intake without it. */
    intakeId: IntakeId.optional(),
    files: z.array(IntakeFileInput).min(1, 'no files to read').max(MAX_INTAKE_FILES, `drop at most ${MAX_INTAKE_FILES} files at once`),
    /** Names this call in the `intakeCheck` events that tell how far a big file's check has come (the dialog's progress). */
    checkId: z.uuid({ error: 'a check id is a UUID the caller makes' }).optional(),
  })
  .strict()

/** One file of a drop: how many jobs it gives, or what is wrong with it, each problem as `file:line: reason`. */
export const IntakeFile = z.object({
  name: z.string(),
  /** The format read, by extension without the dot (jsonl, csv...); empty when the name has none. */
  format: z.string(),
  ok: z.boolean(),
  jobs: z.number().int().min(0),
  /** The first hundred problems; `moreErrors` counts the rest. */
  errors: z.array(z.string()),
  moreErrors: z.number().int().min(0),
})
export type IntakeFile = z.infer<typeof IntakeFile>

export const IntakePreview = z.object({
  intakeId: IntakeId,
  /** Every file of the intake so far, in the order received. */
  files: z.array(IntakeFile),
  /** Jobs from the good files: what Enqueue would add. */
  totalJobs: z.number().int().min(0),
  /** When the intake is forgotten unless it is enqueued, cancelled or added to before. */
  expiresAt: z.number(),
})
export type IntakePreview = z.infer<typeof IntakePreview>

/** What the drop's dialog sets for every job: provider (or profile), model and priority where a job names none; tags are added to each job's own. */
export const IntakeDefaults = JobDefaults.pick({ provider: true, model: true, priority: true, tags: true }).strict()
export type IntakeDefaults = z.infer<typeof IntakeDefaults>

export const CommitIntakeInput = z
  .object({
    intakeId: IntakeId,
    defaults: IntakeDefaults.default({}),
    /** Most of this batch's jobs running at once. */
    maxConcurrency: z.number().int().positive().max(10_000).optional(),
    /** The lane every job takes (config.lane over each job's own); none leaves each job's own. */
    lane: z.enum(LANES).optional(),
    /** False: no job reuses a cached answer or leaves one (config.cache false over each job's own). */
    cache: z.boolean().optional(),
  })
  .strict()

/** How far the engine has come checking a big dropped file (parsed on the intake thread): its line, of the file's lines. */
export const IntakeCheck = z.object({
  checkId: z.uuid(),
  name: z.string(),
  line: z.number().int().min(0),
  lines: z.number().int().min(0),
})
export type IntakeCheck = z.infer<typeof IntakeCheck>

/** How far a big drop's load has come (from 5,000 jobs up a commit loads in slices): the dialog's progress bar. */
export const IntakeLoad = z.object({
  intakeId: IntakeId,
  batchId: z.number().int(),
  loaded: z.number().int().min(0),
  total: z.number().int().min(0),
})
export type IntakeLoad = z.infer<typeof IntakeLoad>

export const IntakeCommitted = z.object({
  batchId: z.number().int(),
  batchName: z.string(),
  jobIds: z.array(z.number().int()),
  /** Jobs whose idempotency key was already known: their existing ids are in jobIds. */
  duplicates: z.number().int(),
  /** The files enqueued, with their jobs. */
  files: z.array(z.object({ name: z.string(), jobs: z.number().int() })),
  /** Files refused: nothing from them was enqueued. */
  refusedFiles: z.array(z.string()),
})
export type IntakeCommitted = z.infer<typeof IntakeCommitted>

/** A file name's extension as node's path.extname gives it: `.jsonl`, `.`, or '' for none (a leading dot starts a name, not an extension). */
export function extensionOf(name: string): string {
  const dot = name.lastIndexOf('.')
  return dot <= 0 || name === '..' ? '' : name.slice(dot)
}

/** The format intake reads a file as: its extension, lower-case and without the dot. */
export const formatOf = (name: string): string => extensionOf(name).slice(1).toLowerCase()

/**
 * Why a file is refused before it is even read, as `file: reason`, or null: a window checks
 * this first, so a video dropped by mistake is never uploaded. The words are the engine's
 * (src/main/intake/parse.ts), so a file reads the same whichever side refused it.
 */
export function refusalBeforeUpload(name: string, bytes: number): string | null {
  const extension = extensionOf(name).toLowerCase()
  if (!(INTAKE_EXTENSIONS as readonly string[]).includes(extension)) {
    return `${name}: unknown file type "${extension || '(none)'}": use ${INTAKE_EXTENSIONS.join(', ')}`
  }
  if (bytes > MAX_INTAKE_FILE_BYTES) {
    return `${name}: the file is ${bytes} bytes, over the limit of ${MAX_INTAKE_FILE_BYTES} (64 MiB): split it into smaller files`
  }
  return null
}
