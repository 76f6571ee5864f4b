/**
 * JSON Schema checking for a job's output, the same at intake (does the schema compile?)
 * and in the worker (does the output match?). A schema comes from a prompt file, so its
 * `pattern`s are an attacker's regular expressions: run by JavaScript's backtracking engine,
 * `^(\w+\s?)*!$` takes a worker thread for minutes, and no timer on that thread can fire to
 * stop it. Patterns run on RE2 instead (Google's linear-time engine, as WebAssembly), the
 * engine ajv documents for this: what RE2 cannot express (backreferences, lookaround) is
 * refused when the schema is compiled, which intake reports with the file and line.
 */
import { createRequire } from 'node:module'
import { Ajv, type Options } from 'ajv'
import type * as Re2Wasm from 're2-wasm'

// A CommonJS module whose default export tsx's ESM loader does not find in a worker thread: required, as it is written.
const { RE2 } = createRequire(import.meta.url)('re2-wasm') as typeof Re2Wasm

/** RE2 as ajv builds its RegExps; RE2 here always takes the `u` flag. */
function linearTime(pattern: string, flags: string): RegExp {
  return new RE2(pattern, flags.includes('u') ? flags : `${flags}u`) as unknown as RegExp
}

export function schemaChecker(options: Options = {}): Ajv {
  return new Ajv({ strict: false, ...options, code: { ...options.code, regExp: linearTime as unknown as NonNullable<Options['code']>['regExp'] } })
}
