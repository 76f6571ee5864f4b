/**
 * A setting as the screens and `genops settings` show it: what it does, where it lives
 * (settings.json for this machine's process, the store for every process on the queue),
 * its default, its value and when a change applies. The catalogue is src/main/settings.
 */
import { z } from 'zod'

export const SettingRow = z.object({
  key: z.string(),
  description: z.string(),
  /** The settings file's path, or "store". */
  lives: z.string(),
  /** JSON values; a secret is masked. Undefined (absent) when there is none. */
  default: z.unknown().optional(),
  value: z.unknown().optional(),
  /** Where the value came from: flag, variable, file, default, or store. */
  source: z.enum(['flag', 'variable', 'file', 'default', 'store', 'running']),
  /** A process setting's flag of `serve` and `run`, and its variable. */
  flag: z.string().optional(),
  env: z.string().optional(),
  /** When a change takes effect: "at next start", or "within 5s". */
  applies: z.string(),
})
export type SettingRow = z.infer<typeof SettingRow>
