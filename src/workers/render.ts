/**
 * Prompt templates: `{{name}}` in a prompt takes the job's variable `name` (config.vars,
 * which CSV columns fill). A placeholder without a variable is the job's mistake, reported
 * by name, not a prompt sent with braces in it; intake refuses such a job already, with the
 * same words (shared/job-config).
 */
import { AttemptError } from '../shared/errors'
import { fillVariables, variablesProblem } from '../shared/job-config'

export function renderPrompt(prompt: string, vars: Readonly<Record<string, unknown>> = {}): string {
  const problem = variablesProblem(prompt, vars)
  if (problem) throw new AttemptError('VALIDATION', problem)
  return fillVariables(prompt, vars)
}
