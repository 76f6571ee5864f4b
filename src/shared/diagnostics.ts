/** What a diagnostic bundle export answers: where the zip is and what it holds. */
import { z } from 'zod'

export const DiagnosticBundle = z.object({
  /** The zip's absolute path (in <dataDir>/bundles unless the CLI was given --out). */
  path: z.string(),
  bytes: z.number().int().min(0),
  /** Files in the zip, manifest.json included. */
  files: z.number().int().min(0),
  /** Sections that could not be collected, each with why (the bundle holds the rest). */
  problems: z.array(z.string()),
})
export type DiagnosticBundle = z.infer<typeof DiagnosticBundle>
