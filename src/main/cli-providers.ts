/** `genops providers list|add|remove|test`: provider profiles from the command line. */
import { pathToFileURL } from 'node:url'
import { type Command, Option } from 'commander'
import { describeZodError } from '../shared/contract'
import { PROVIDER_KINDS, PROVIDER_LABELS, ProviderProfile } from '../shared/providers'
import type { AttemptOutcome, AttemptTask } from '../workers/protocol'
import { CliError, common, print, printJson, withQueue, type Common } from './cli-support'
import { WORKER_FILE } from './paths'
import { resolveProvider } from './queue/profiles'

interface AddOptions extends Common {
  provider: ProviderProfile['provider']
  model?: string
  baseUrl?: string
  keyFile?: string
  config?: string
}

function parseConfig(text: string | undefined): Record<string, unknown> | undefined {
  if (text === undefined) return undefined
  try {
    return JSON.parse(text) as Record<string, unknown>
  } catch (error) {
    throw new CliError(`--config is not JSON (${(error as Error).message})`, 2)
  }
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
      const { profiles } = await withQueue(options, (h) => h.listProviders({}))
      if (options.json) {
        printJson(profiles)
        return
      }
      print(`providers: ${PROVIDER_KINDS.map((kind) => `${kind} (${PROVIDER_LABELS[kind]})`).join(', ')}`)
      if (profiles.length === 0) print('no profiles: add one with `genops providers add NAME --provider openai --base-url URL`')
      for (const p of profiles) {
        const details = [p.model && `model ${p.model}`, p.baseUrl && `at ${p.baseUrl}`, p.keyFile && `key file ${p.keyFile}`].filter(Boolean).join(', ')
        print(`${p.name}: ${p.provider}${details ? `, ${details}` : ''}`)
      }
    },
  )

  common(providers.command('add').description('add or replace a profile'))
    .argument('<name>', "profile name, used as a job's provider")
    .addOption(new Option('--provider <provider>', 'the provider it builds on').choices(PROVIDER_KINDS).makeOptionMandatory())
    .option('--model <model>', 'model for jobs that name none')
    .option('--base-url <url>', 'endpoint, e.g. http://127.0.0.1:11434/v1 for Ollama')
    .option('--key-file <path>', 'absolute path of a file holding the API key, mode 0600')
    .option('--config <json>', 'config defaults for its jobs, e.g. \'{"temperature":0.2}\'')
    .action(async (name: string, options: AddOptions) => {
      const parsed = ProviderProfile.safeParse({
        name,
        provider: options.provider,
        model: options.model,
        baseUrl: options.baseUrl,
        keyFile: options.keyFile,
        config: parseConfig(options.config),
      })
      if (!parsed.success) throw new CliError(describeZodError(parsed.error), 2)
      await withQueue(options, (h) => h.saveProvider(parsed.data))
      print(`profile ${name}: saved`)
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
