/** `genops providers list|add|remove|test`: provider profiles from the command line. */
import { pathToFileURL } from 'node:url'
import { type Command, Option } from 'commander'
import { ApiKey, describeZodError } from '../shared/contract'
import { PROVIDER_KINDS, PROVIDER_LABELS, ProviderProfile } from '../shared/providers'
import type { ProviderLimits } from '../shared/resilience'
import type { AttemptOutcome, AttemptTask } from '../workers/protocol'
import { CliError, common, integer, print, printJson, withQueue, type Common } from './cli-support'
import { WORKER_FILE } from './paths'
import { resolveProvider } from './queue/profiles'

interface AddOptions extends Common {
  provider: ProviderProfile['provider']
  model?: string
  baseUrl?: string
  keyFile?: string
  config?: string
  rpm?: number
  tpm?: number
  maxConcurrent?: number
  fallback?: string[]
  apiKeyStdin?: boolean
}

/** More than any key: a pipe that sends this much is not sending one, and is not read to its end. */
const MAX_PIPED_BYTES = 4096

/**
 * The key piped in: never a flag, where it would sit in the shell's history and every process
 * listing. A terminal is refused rather than read, since what is typed there is shown.
 */
async function keyFromStdin(): Promise<string> {
  if (process.stdin.isTTY)
    throw new CliError('--api-key-stdin reads the key from a pipe, not a terminal: `pass show openai | genops providers add ... --api-key-stdin`', 2)
  const chunks: Buffer[] = []
  let bytes = 0
  for await (const chunk of process.stdin) {
    chunks.push(chunk as Buffer)
    bytes += (chunk as Buffer).length
    if (bytes > MAX_PIPED_BYTES) throw new CliError(`--api-key-stdin: standard input held more than ${MAX_PIPED_BYTES} bytes: pipe the key alone`, 2)
  }
  const parsed = ApiKey.safeParse(Buffer.concat(chunks).toString('utf8'))
  if (!parsed.success) throw new CliError(`--api-key-stdin: ${parsed.error.issues[0]!.message}`, 2)
  return parsed.data
}

function parseConfig(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined
  try {
    return JSON.parse(text) as Record<string, unknown>
  } catch (error) {
    throw new CliError(`--config is not JSON (${(error as Error).message})`, 2)
  }
}

function describeLimits(limits: ProviderLimits | undefined): string | undefined {
  if (!limits) return undefined
  const parts = [
    limits.requestsPerMinute && `${limits.requestsPerMinute} requests/min`,
    limits.tokensPerMinute && `${limits.tokensPerMinute} tokens/min`,
    limits.maxConcurrent && `${limits.maxConcurrent} at once`,
  ].filter(Boolean)
  return parts.length ? `limits ${parts.join(', ')}` : undefined
}

/** One attempt in this process, through the same worker entry the pool runs. */
async function runOneAttempt(task: AttemptTask): Promise<AttemptOutcome> {
  const worker = (await import(pathToFileURL(WORKER_FILE).href)) as { default: (task: AttemptTask) => Promise<AttemptOutcome> }
  return worker.default(task)
}

export function addProviderCommands(program: Command): void {
  const providers = program.command('providers').description('provider profiles: a named provider with its model, base URL and key file')

  common(providers.command('list').description(`profiles, and the providers they build on (${PROVIDER_KINDS.join(', ')})`), true).action(
    async (options: Common) => {
      const [{ profiles }, { pauses }] = await withQueue(options, (h) => Promise.all([h.listProviders({}), h.listProviderPauses({})]))
      if (options.json) {
        printJson({ profiles, pauses })
        return
      }
      print(`providers: ${PROVIDER_KINDS.map((kind) => `${kind} (${PROVIDER_LABELS[kind]})`).join(', ')}`)
      if (profiles.length === 0) print('no profiles: add one with `genops providers add NAME --provider openai --base-url URL`')
      for (const p of profiles) {
        const details = [
          p.model && `model ${p.model}`,
          p.baseUrl && `at ${p.baseUrl}`,
          p.keyFile && `key file ${p.keyFile}`,
          describeLimits(p.limits),
          p.fallbacks?.length && `falls back to ${p.fallbacks.join(', ')}`,
        ]
          .filter(Boolean)
          .join(', ')
        print(`${p.name}: ${p.provider}${details ? `, ${details}` : ''}`)
      }
      for (const pause of pauses) print(`paused: ${pause.provider} since ${new Date(pause.pausedAt).toLocaleString()}: ${pause.reason}`)
    },
  )

  common(providers.command('pause').description("hold a provider's (or profile's) queued jobs; running ones finish"))
    .argument('<name>', 'profile or provider name')
    .option('--reason <text>', 'why, for whoever looks next')
    .action(async (name: string, options: Common & { reason?: string }) => {
      await withQueue(options, (h) => h.pauseProvider({ provider: name, reason: options.reason }))
      print(`${name}: paused; its jobs wait until \`genops providers resume ${name}\``)
    })

  common(providers.command('resume').description('let a paused provider run again (after an AUTH pause: once the key is fixed)'))
    .argument('<name>', 'profile or provider name')
    .action(async (name: string, options: Common) => {
      const { resumed } = await withQueue(options, (h) => h.resumeProvider({ provider: name }))
      if (!resumed) throw new CliError(`${name} is not paused`)
      print(`${name}: resumed`)
    })

  common(providers.command('add').description('add or replace a profile'))
    .argument('<name>', "profile name, used as a job's provider")
    .addOption(new Option('--provider <provider>', 'the provider it builds on').choices(PROVIDER_KINDS).makeOptionMandatory())
    .option('--model <model>', 'model for jobs that name none')
    .option('--base-url <url>', 'endpoint, e.g. http://127.0.0.1:11434/v1 for Ollama')
    .option('--key-file <path>', 'absolute path of a file holding the API key, mode 0600')
    .option('--api-key-stdin', 'keep the API key piped to standard input with the profile, sealed with the team key (the teamKeyFile setting)')
    .option('--config <json>', 'config defaults for its jobs, e.g. \'{"temperature":0.2}\'')
    .option('--rpm <n>', 'most requests started in any minute', integer('--rpm', 1))
    .option('--tpm <n>', 'most tokens (estimated, then counted) in any minute', integer('--tpm', 1))
    .option('--max-concurrent <n>', 'most attempts running at once', integer('--max-concurrent', 1))
    .option(
      '--fallback <name>',
      'a profile (or profile/model) its jobs run on while its breaker is open or it is paused; repeat, in order',
      (value: string, previous: string[] = []) => [...previous, value],
    )
    .action(async (name: string, options: AddOptions) => {
      const limits = { requestsPerMinute: options.rpm, tokensPerMinute: options.tpm, maxConcurrent: options.maxConcurrent }
      const parsed = ProviderProfile.safeParse({
        name,
        provider: options.provider,
        model: options.model,
        baseUrl: options.baseUrl,
        keyFile: options.keyFile,
        config: parseConfig(options.config),
        limits: Object.values(limits).some((value) => value !== undefined) ? limits : undefined,
        fallbacks: options.fallback,
      })
      if (!parsed.success) throw new CliError(describeZodError(parsed.error), 2)
      const apiKey = options.apiKeyStdin ? await keyFromStdin() : undefined
      const saved = await withQueue(options, (h) => h.saveProvider({ ...parsed.data, apiKey }))
      print(`profile ${name}: saved${apiKey !== undefined && saved.hasKey ? ', its key kept sealed (never shown again)' : ''}`)
    })

  common(providers.command('remove').description('remove a profile'))
    .argument('<name>', 'profile name')
    .action(async (name: string, options: Common) => {
      const { removed } = await withQueue(options, (h) => h.removeProvider({ name }))
      if (!removed) throw new CliError(`no profile named "${name}"`)
      print(`profile ${name}: removed`)
    })

  common(providers.command('test').description('run one short attempt through a profile or provider and say how it went'), true)
    .argument('<name>', 'profile or provider name')
    .option('--model <model>', 'model, if the profile names none')
    .option('--prompt <text>', 'what to send', 'Reply with the word OK.')
    .action(async (name: string, options: Common & { model?: string; prompt: string }) => {
      const { profiles } = await withQueue(options, (h) => h.listProviders({}))
      const resolved = resolveProvider(
        { provider: name, model: options.model ?? null, config: { maxTokens: 16, timeoutMs: 60_000 } },
        new Map(profiles.map((p) => [p.name, p])),
      )
      const outcome = await runOneAttempt({
        id: 0,
        attempt: 1,
        prompt: options.prompt,
        batchId: null,
        artifactsDir: null,
        channel: 'genops-cli-test',
        ...resolved,
      })
      if (options.json) printJson(outcome)
      else if (outcome.ok) print(`${name}: ok in ${Math.round(outcome.durationMs)} ms: ${outcome.output.replace(/\s+/g, ' ').slice(0, 200)}`)
      if (!outcome.ok) throw new CliError(`${name}: ${outcome.category}: ${outcome.message}`)
    })
}
