/**
 * The rule editor's form as typed, and the rule it makes: every field a string until Save,
 * then checked with the contract's own schema so the words are the same as the engine's.
 */
import { AlertRule, WINDOWED_SIGNALS, formatSignalValue, type AlertOp, type AlertSeverity, type AlertSignal, type AlertStatus } from '../../../../shared/alerts'

export interface RuleDraft {
  /** The rule being edited, or null for a new one (its name and signal can then be set). */
  editing: string | null
  /** A shipped default: it can be changed and restored, not removed. */
  builtin: boolean
  name: string
  signal: AlertSignal
  op: AlertOp
  threshold: string
  window: string
  minAttempts: string
  for: string
  severity: AlertSeverity
  summary: string
  enabled: boolean
  /** Kept as they were: the form does not edit labels. */
  labels: Record<string, string>
}

const FIELD_LABELS: Record<string, string> = {
  name: 'Name',
  signal: 'Signal',
  op: 'Comparison',
  threshold: 'Threshold',
  window: 'Window',
  minAttempts: 'At least',
  for: 'For',
  severity: 'Severity',
  summary: 'Summary',
}

/** Signals whose value is a share: the threshold may be typed as `10%`. */
const RATIOS: ReadonlySet<AlertSignal> = new Set(['failure_rate', 'budget_used_ratio'])

export function draftOf({ rule, builtin }: AlertStatus): RuleDraft {
  return {
    editing: rule.name,
    builtin,
    name: rule.name,
    signal: rule.signal,
    op: rule.op,
    threshold: String(rule.threshold),
    window: rule.window ?? '',
    minAttempts: rule.minAttempts === undefined ? '' : String(rule.minAttempts),
    for: rule.for,
    severity: rule.severity,
    summary: rule.summary,
    enabled: rule.enabled,
    labels: rule.labels,
  }
}

/** A new rule on a signal, with the fields that signal takes filled in as a start. */
export function newDraft(signal: AlertSignal): RuleDraft {
  return withSignal(
    {
      editing: null,
      builtin: false,
      name: '',
      signal,
      op: '>',
      threshold: '',
      window: '',
      minAttempts: '',
      for: '1m',
      severity: 'warning',
      summary: '',
      enabled: true,
      labels: {},
    },
    signal,
  )
}

/** The draft on another signal: a window where it needs one, none where it takes none, attempts for failure_rate only. */
export function withSignal(draft: RuleDraft, signal: AlertSignal): RuleDraft {
  const windowed = WINDOWED_SIGNALS.has(signal)
  return {
    ...draft,
    signal,
    op: signal === 'free_disk_bytes' ? '<' : draft.op,
    window: windowed ? draft.window || '5m' : '',
    minAttempts: signal === 'failure_rate' ? draft.minAttempts || '20' : '',
  }
}

/** The threshold as a number, or null when it is not one; `10%` is 0.1 for a share. */
export function thresholdOf(text: string, signal: AlertSignal): number | null {
  const trimmed = text.trim().replace(/[_,\s]/g, '')
  const percent = RATIOS.has(signal) && trimmed.endsWith('%')
  const number = Number(percent ? trimmed.slice(0, -1) : trimmed)
  if (trimmed === '' || trimmed === '%' || !Number.isFinite(number)) return null
  return percent ? number / 100 : number
}

/** The threshold as the rule's values read (`10.0%`, `1.0 GiB`), under the field as it is typed; '' when it is no number yet. */
export function thresholdWords(draft: RuleDraft): string {
  const threshold = thresholdOf(draft.threshold, draft.signal)
  return threshold === null ? '' : formatSignalValue(draft.signal, threshold)
}

/** The draft as the contract takes it, checked with the contract's schema; or what is wrong, field by field. */
export function ruleOf(draft: RuleDraft): { rule: AlertRule } | { problem: string } {
  const problems: string[] = []
  // zod's own words for an empty string are about lengths: these say what to type.
  if (draft.name.trim() === '') problems.push('Name: letters, digits and _, like GenOpsQueueLong')
  if (draft.summary.trim() === '') problems.push('Summary: one line that says what is wrong')
  const threshold = thresholdOf(draft.threshold, draft.signal)
  if (threshold === null) problems.push(`Threshold: a number${RATIOS.has(draft.signal) ? ', like 0.1 or 10%' : ''}`)
  let minAttempts: number | undefined
  if (draft.signal === 'failure_rate' && draft.minAttempts.trim() !== '') {
    minAttempts = Number(draft.minAttempts.trim().replace(/[_,\s]/g, ''))
    if (!Number.isInteger(minAttempts) || minAttempts < 1) problems.push('At least: a whole number of attempts, 1 or more, or empty')
  }
  if (problems.length) return { problem: problems.join('. ') }
  const candidate = {
    name: draft.name.trim(),
    signal: draft.signal,
    op: draft.op,
    threshold,
    ...(WINDOWED_SIGNALS.has(draft.signal) && draft.window.trim() ? { window: draft.window.trim() } : {}),
    ...(minAttempts !== undefined ? { minAttempts } : {}),
    for: draft.for.trim() || '0s',
    severity: draft.severity,
    labels: draft.labels,
    summary: draft.summary,
    enabled: draft.enabled,
  }
  const parsed = AlertRule.safeParse(candidate)
  if (parsed.success) return { rule: parsed.data }
  return {
    problem: parsed.error.issues
      .slice(0, 3)
      .map((issue) => `${FIELD_LABELS[String(issue.path[0])] ?? issue.path.join('.')}: ${issue.message}`)
      .join('. '),
  }
}
