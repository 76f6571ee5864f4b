/** `genops alerts list|history|export-rules|add|enable|disable|set|reset`: alert rules from the command line. */
import { writeFileSync } from 'node:fs'
import { type Command, InvalidArgumentError, Option } from 'commander'
import {
  ALERT_OPS,
  ALERT_SEVERITIES,
  ALERT_SIGNALS,
  AlertRule,
  describeRule,
  formatSignalValue,
  type AlertRuleInput,
  type AlertStatus,
  type AlertTransition,
} from '../shared/alerts'
import { describeZodError } from '../shared/contract'
import { table, time } from './cli-format'
import { CliError, common, duration, integer, print, printJson, withQueue, type Common } from './cli-support'

export function formatAlerts(alerts: readonly AlertStatus[]): string {
  return table([
    ['ALERT', 'STATE', 'SEVERITY', 'VALUE', 'SINCE', 'RULE'],
    ...alerts.map(({ rule, state, since, value, evaluatedAt }) => [
      rule.name,
      rule.enabled ? state : 'disabled',
      rule.severity,
      evaluatedAt === null ? '-' : formatSignalValue(rule.signal, value),
      time(since),
      describeRule(rule),
    ]),
  ])
}

export function formatHistory(transitions: readonly AlertTransition[]): string {
  if (transitions.length === 0) return 'no alert has changed state yet'
  return table([
    ['AT', 'ALERT', 'SEVERITY', 'CHANGE', 'SUMMARY'],
    ...transitions.map((t) => [time(t.at), t.name, t.severity, `${t.from} -> ${t.to}`, t.summary]),
  ])
}

/** The rule of that name, or an error listing the names there are. */
async function ruleNamed(options: Common, name: string): Promise<AlertRule> {
  const { alerts } = await withQueue(options, (h) => h.listAlerts({}))
  const found = alerts.find(({ rule }) => rule.name === name)
  if (!found) throw new CliError(`no alert rule named ${name}: there are ${alerts.map(({ rule }) => rule.name).join(', ')}`)
  return found.rule
}

/** Checks the rule against the one rule schema first, so the message names the option that is wrong and nothing is opened for a bad rule. */
function checked(rule: AlertRuleInput): AlertRule {
  const parsed = AlertRule.safeParse(rule)
  if (!parsed.success) throw new CliError(`${rule.name}: ${describeZodError(parsed.error)}`, 2)
  return parsed.data
}

async function save(options: Common, rule: AlertRuleInput): Promise<AlertStatus> {
  const valid = checked(rule)
  return withQueue(options, (h) => h.saveAlertRule(valid))
}

/** `--label team=ml`, repeatable, into the rule's labels. */
function label(text: string, labels: Record<string, string> = {}): Record<string, string> {
  const at = text.indexOf('=')
  if (at <= 0) throw new InvalidArgumentError(`--label must be name=value, not "${text}"`)
  return { ...labels, [text.slice(0, at)]: text.slice(at + 1) }
}

interface AddOptions extends Common {
  signal: AlertRule['signal']
  op: AlertRule['op']
  threshold: string
  window?: string
  minAttempts?: number
  for: string
  severity: AlertRule['severity']
  summary: string
  label?: Record<string, string>
  disabled?: boolean
}

interface SetOptions extends Common {
  threshold?: string
  for?: string
  window?: string
  minAttempts?: number
  severity?: AlertRule['severity']
  summary?: string
}

export function addAlertCommands(program: Command): void {
  const alerts = program.command('alerts').description('alert rules over the engine’s telemetry: pending, firing, resolved')

  common(alerts.command('list').description('every rule, where it stands and its last value'), true).action(async (options: Common) => {
    const { alerts: list } = await withQueue(options, (h) => h.listAlerts({}))
    if (options.json) printJson(list)
    else print(formatAlerts(list))
  })

  common(alerts.command('history').description('alert transitions, newest first'), true)
    .option('--name <alert>', 'only this alert')
    .option('--since <duration>', 'only this recent, like 1h or 7d', duration)
    .option('--limit <n>', 'how many', integer('--limit', 1, 500), 50)
    .action(async (options: Common & { name?: string; since?: number; limit: number }) => {
      const since = options.since === undefined ? undefined : Date.now() - options.since
      const { transitions } = await withQueue(options, (h) => h.alertHistory({ name: options.name, since, limit: options.limit }))
      if (options.json) printJson(transitions)
      else print(formatHistory(transitions))
    })

  common(alerts.command('export-rules').description('the enabled rules as a Prometheus rules file (check it with `promtool check rules`)'))
    .option('--out <file>', 'write to this file instead of printing')
    .action(async (options: Common & { out?: string }) => {
      const { alerts: list } = await withQueue(options, (h) => h.listAlerts({}))
      // The YAML writer is loaded by this one command, not by every start.
      const { prometheusRules } = await import('./alerts/promql')
      const text = prometheusRules(list.map(({ rule }) => rule))
      if (!options.out) {
        process.stdout.write(text)
        return
      }
      writeFileSync(options.out, text)
      print(`wrote ${list.filter(({ rule }) => rule.enabled).length} rules to ${options.out}`)
    })

  common(alerts.command('add').description('add a rule of your own, checked by the same rule schema as the Alerts screen'))
    .argument('<alert>', 'its name: letters, digits and _, like TooManyTimeouts')
    .addOption(new Option('--signal <signal>', 'what it watches').choices(Object.keys(ALERT_SIGNALS)).makeOptionMandatory())
    .addOption(new Option('--op <op>', 'how the signal is compared with the threshold').choices(ALERT_OPS).default('>'))
    .requiredOption('--threshold <number>', 'the value the signal is compared with')
    .option('--window <duration>', 'failure_rate, no_progress and p95_job_seconds: measured over this long, like 5m')
    .option('--min-attempts <n>', 'failure_rate: fewer attempts than this is no evidence', integer('--min-attempts', 1))
    .option('--for <duration>', 'how long the condition must hold before it fires, like 5m (0s: at once)', '0s')
    .addOption(new Option('--severity <severity>', 'warning or critical').choices(ALERT_SEVERITIES).default('warning'))
    .requiredOption('--summary <text>', 'what a person reads when it fires')
    .option('--label <name=value>', 'a label for Prometheus and the webhook (repeatable)', label)
    .option('--disabled', 'add it switched off')
    .action(async (name: string, options: AddOptions) => {
      const threshold = Number(options.threshold)
      if (options.threshold.trim() === '' || !Number.isFinite(threshold)) throw new CliError(`--threshold must be a number, not "${options.threshold}"`, 2)
      const rule = checked({
        name,
        signal: options.signal,
        op: options.op,
        threshold,
        window: options.window,
        minAttempts: options.minAttempts,
        for: options.for,
        severity: options.severity,
        labels: options.label ?? {},
        summary: options.summary,
        enabled: !options.disabled,
      })
      const status = await withQueue(options, async (h) => {
        // A name taken (a shipped rule or one added before) is changed with `set`, not replaced by surprise.
        const { alerts: list } = await h.listAlerts({})
        if (list.some((alert) => alert.rule.name === name))
          throw new CliError(`there is already a rule named ${name}: change it with \`genops alerts set ${name}\``)
        return h.saveAlertRule(rule)
      })
      print(`${name}: added, ${describeRule(status.rule)}${status.rule.enabled ? '' : ' (disabled)'}`)
    })

  for (const enabled of [true, false]) {
    common(alerts.command(enabled ? 'enable' : 'disable').description(enabled ? 'evaluate a rule again' : 'stop evaluating a rule (a firing alert resolves)'))
      .argument('<alert>', 'rule name, as `alerts list` shows it')
      .action(async (name: string, options: Common) => {
        await save(options, { ...(await ruleNamed(options, name)), enabled })
        print(`${name}: ${enabled ? 'enabled' : 'disabled'}`)
      })
  }

  common(alerts.command('set').description("change a rule's threshold, durations, severity or summary"))
    .argument('<alert>', 'rule name, as `alerts list` shows it')
    .option('--threshold <number>', 'the value the signal is compared with')
    .option('--for <duration>', 'how long the condition must hold before it fires, like 5m (0s: at once)')
    .option('--window <duration>', 'the window a failure rate, progress or p95 is measured over, like 5m')
    .option('--min-attempts <n>', 'failure rate: fewer attempts than this is no evidence', integer('--min-attempts', 1))
    .addOption(new Option('--severity <severity>', 'warning or critical').choices(ALERT_SEVERITIES))
    .option('--summary <text>', 'what a person reads when it fires')
    .action(async (name: string, options: SetOptions) => {
      const rule = await ruleNamed(options, name)
      const threshold = options.threshold === undefined ? rule.threshold : Number(options.threshold)
      if (!Number.isFinite(threshold)) throw new CliError(`--threshold must be a number, not "${options.threshold}"`, 2)
      const status = await save(options, {
        ...rule,
        threshold,
        for: options.for ?? rule.for,
        window: options.window ?? rule.window,
        minAttempts: options.minAttempts ?? rule.minAttempts,
        severity: options.severity ?? rule.severity,
        summary: options.summary ?? rule.summary,
      })
      print(`${name}: ${describeRule(status.rule)}`)
    })

  common(alerts.command('reset').description('forget your change to a shipped rule, or remove a rule you added'))
    .argument('<alert>', 'rule name')
    .action(async (name: string, options: Common) => {
      const { removed } = await withQueue(options, (h) => h.removeAlertRule({ name }))
      print(removed ? `${name}: back to its default (or removed, if it was yours)` : `${name}: nothing to reset`)
    })
}
