/**
 * One job as a prompt file writes it, whatever the format: a .jsonl line, an element of a
 * .json array and a .csv row (once its cells are read, see csv.ts) all go through
 * `toJobSpec`, so the same field means the same thing everywhere. Beside JobSpec's own
 * fields a file may use the shorthands operators reach for: `profile` (a provider
 * profile, stored where a job names its provider), `idempotency_key`, `vars` (template
 * variables), `output` and `schema` (what the output must be, as the worker's output.ts
 * reads `config.output`). Unknown fields are refused, never dropped silently.
 */
import { z } from 'zod'
import { describeZodError } from '../../shared/contract'
import { OutputSetting } from '../../shared/job-config'
import { JobSpec } from '../../shared/jobs'
import { nestingProblem } from '../../shared/json-depth'
import { schemaChecker } from '../../workers/json-schema'

const JsonSchema = z.record(z.string(), z.unknown(), { error: 'a schema is a JSON Schema object, like {"type": "object"}' })

const FileJob = JobSpec.extend({
  profile: z.string().trim().min(1).max(100).optional(),
  idempotency_key: JobSpec.shape.idempotencyKey,
  vars: z.record(z.string(), z.unknown(), { error: 'vars is an object of names to values, like {"city": "Lyon"}' }).optional(),
  output: OutputSetting.optional(),
  schema: JsonSchema.optional(),
}).strict()

/** The fields a file may give a job: CSV columns are matched against these. */
export type FileJobField = keyof typeof FileJob.shape

/** A job ready to enqueue, or the reason (without file and line) it cannot be. */
export function toJobSpec(value: unknown): JobSpec | string {
  // Before anything recursive reads it: a job nested thousands deep would overflow the stack.
  const nesting = nestingProblem(value)
  if (nesting) return `the job is ${nesting}`
  const parsed = FileJob.safeParse(value)
  if (!parsed.success) return describeZodError(parsed.error)
  const { profile, idempotency_key, vars, output, schema, ...job } = parsed.data
  if (profile !== undefined && job.provider !== undefined) return 'name a provider or a profile, not both'
  if (idempotency_key !== undefined && job.idempotencyKey !== undefined) return 'the idempotency key is given twice (idempotencyKey and idempotency_key)'
  const config = { ...job.config }
  if (vars !== undefined) {
    if (config.vars !== undefined) return 'the variables are given twice (vars and config.vars)'
    config.vars = vars
  }
  if (output !== undefined || schema !== undefined) {
    if (config.output !== undefined) return 'the output is given twice (output or schema, and config.output)'
    const combined = combineOutput(output, schema)
    if ('problem' in combined) return combined.problem
    config.output = combined.output
  }
  if (config.output !== undefined) {
    const problem = outputProblem(config.output)
    if (problem) return problem
  }
  const spec: JobSpec = { prompt: job.prompt }
  const provider = job.provider ?? profile
  if (provider !== undefined) spec.provider = provider
  if (job.model !== undefined) spec.model = job.model
  if (job.priority !== undefined) spec.priority = job.priority
  if (job.delayMs !== undefined) spec.delayMs = job.delayMs
  if (job.attempts !== undefined) spec.attempts = job.attempts
  const key = job.idempotencyKey ?? idempotency_key
  if (key !== undefined) spec.idempotencyKey = key
  if (job.tags !== undefined) spec.tags = job.tags
  if (Object.keys(config).length > 0) spec.config = config
  return spec
}

function combineOutput(output: OutputSetting | undefined, schema: Record<string, unknown> | undefined): { output: OutputSetting } | { problem: string } {
  if (schema === undefined) return { output: output! }
  if (output === 'text') return { problem: 'a schema needs JSON output, but output is "text"' }
  if (typeof output === 'object') return { problem: 'the schema is given twice (schema and output.schema)' }
  return { output: { schema } }
}

/** Checked here so a job whose schema cannot work is refused at intake, not found dead after its attempts. */
function outputProblem(output: unknown): string | null {
  const parsed = OutputSetting.safeParse(output)
  if (!parsed.success) return `config.output: ${describeZodError(parsed.error)}`
  if (typeof parsed.data !== 'object') return null
  return schemaProblem(parsed.data.schema)
}

const ajv = schemaChecker()
/** Schemas already compiled, by their JSON text: a file usually repeats one schema on every line. */
const checkedSchemas = new Map<string, string | null>()
const MAX_CHECKED_SCHEMAS = 100

function schemaProblem(schema: Record<string, unknown>): string | null {
  const key = JSON.stringify(schema)
  let problem = checkedSchemas.get(key)
  if (problem === undefined) {
    try {
      ajv.compile(schema)
      problem = null
    } catch (error) {
      problem = `the output schema is not a valid JSON Schema (${(error as Error).message})`
    } finally {
      // Only the answer is kept: ajv's own cache would grow with every schema, and refuse a second $id.
      ajv.removeSchema(schema)
    }
    if (checkedSchemas.size >= MAX_CHECKED_SCHEMAS) checkedSchemas.delete(checkedSchemas.keys().next().value!)
    checkedSchemas.set(key, problem)
  }
  return problem
}
