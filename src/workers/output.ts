/**
 * What a job asks its output to be: text (the default), JSON, or JSON matching a JSON
 * Schema (`config.output = { schema: {...} }`), checked with ajv. A failed check is a
 * VALIDATION error naming what is wrong: the job's own fault, never retried blindly.
 */
import type { ValidateFunction } from 'ajv'
import { AttemptError } from '../shared/errors'
import { schemaChecker } from './json-schema'

export type OutputFormat = 'text' | 'json'

const ajv = schemaChecker({ allErrors: true })
/** Compiled schemas, by their JSON text: a batch shares one schema, compiled once per thread. */
const compiled = new Map<string, ValidateFunction>()
const MAX_COMPILED = 100

function validatorFor(schema: object): ValidateFunction {
  const key = JSON.stringify(schema)
  let validate = compiled.get(key)
  if (!validate) {
    try {
      validate = ajv.compile(schema)
    } catch (error) {
      throw new AttemptError('VALIDATION', `config.output.schema is not a valid JSON Schema: ${(error as Error).message}`)
    }
    if (compiled.size >= MAX_COMPILED) compiled.delete(compiled.keys().next().value!)
    compiled.set(key, validate)
  }
  return validate
}

/** The format an output is stored in; throws VALIDATION for an output setting it cannot honour. */
export function outputFormat(output: unknown): OutputFormat {
  if (output === undefined || output === 'text') return 'text'
  if (output === 'json') return 'json'
  if (typeof output === 'object' && output !== null && !Array.isArray(output) && 'schema' in output) return 'json'
  throw new AttemptError('VALIDATION', 'config.output must be "text", "json" or { "schema": { ... } }')
}

/** Checks the text against what the job asked for; throws VALIDATION with the reason. */
export function checkOutput(text: string, output: unknown): void {
  if (outputFormat(output) === 'text') return
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    throw new AttemptError('VALIDATION', `the output is not valid JSON (${(error as Error).message})`)
  }
  const schema = (output as { schema?: unknown }).schema
  if (schema === undefined) return
  if (typeof schema !== 'object' || schema === null) throw new AttemptError('VALIDATION', 'config.output.schema must be a JSON Schema object')
  const validate = validatorFor(schema)
  if (!validate(value)) throw new AttemptError('VALIDATION', `the output does not match the schema: ${ajv.errorsText(validate.errors, { dataVar: 'output' })}`)
}
