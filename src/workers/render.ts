/**
 * Prompt templates: `{{name}}` in a prompt takes the job's variable `name` (config.vars,
 * which CSV columns fill). A placeholder without a variable is the job's mistake, reported
 * by name, not a prompt sent with braces in it.
 */
import { AttemptError } from '../shared/errors'

const PLACEHOLDER = /\{\{\s*([A-Za-z_][A-Za-z0-9_.-]*)\s*\}\}/g

export function renderPrompt(prompt: string, vars: unknown): string {
  if (vars === undefined) vars = {}
  if (typeof vars !== 'object' || vars === null || Array.isArray(vars)) throw new AttemptError('VALIDATION', 'config.vars must be an object of names to values')
  const values = vars as Record<string, unknown>
  if (!prompt.includes('{{')) return prompt
  const missing = new Set<string>()
  const rendered = prompt.replace(PLACEHOLDER, (_, name: string) => {
    const value = values[name]
    if (value === undefined || value === null) {
      missing.add(name)
      return ''
    }
    return typeof value === 'string' ? value : JSON.stringify(value)
  })
  if (missing.size > 0)
    throw new AttemptError('VALIDATION', `the prompt uses ${[...missing].map((name) => `{{${name}}}`).join(', ')} but the job has no such variable`)
  return rendered
}
