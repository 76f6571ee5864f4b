/**
 * Costs in a running engine: the price book the scheduler prices attempts with, the budget
 * watch it runs after each settle (and whose budgets its claims weigh), and the rollup keeper. Another process (the CLI) may
 * change prices, budgets or paused batches: a poll of the database's change counter
 * picks those up, as the scheduler's poll does for its own settings.
 */
import type { Price } from '../../shared/costs'
import type { QueueStore } from '../queue/store'
import { startRollupKeeper, type RollupKeeperOptions } from '../telemetry/rollups-keeper'
import { BudgetWatch } from './budget-watch'
import { PriceBook } from './pricing'

/** What the contract's cost operations tell a running engine. */
export interface CostsRuntime {
  /** Price overrides were set or removed: attempts from now on are priced with them. */
  pricesChanged(): Promise<void>
  /** A budget was set or removed: re-read, and tell at once what is already reached. */
  budgetsChanged(): Promise<void>
  /** A batch was paused or resumed: the gates hold or release its jobs. */
  batchPausesChanged(): Promise<void>
}

export interface EngineCostsOptions extends RollupKeeperOptions {
  /** How often to look for another process's changes to prices and budgets. */
  pollMs: number
  /** The list prices (loadPriceList: resources/pricing.json). */
  listPrices: readonly Price[]
}

/** What the engine lends: the scheduler's side of a pause, and where notices go. */
export interface EngineCostsHooks {
  notice(notice: { level: 'info' | 'warning' | 'critical'; message: string }): void
  onError(error: unknown, during: string): void
  /** The gates re-read paused batches from the store. */
  reloadGates(): Promise<void>
}

export class EngineCosts implements CostsRuntime {
  readonly prices: PriceBook
  /** Budgets told after each settle; the scheduler's claims ask it whether to reserve and tell it what they held. */
  readonly budgets: BudgetWatch
  private timers: NodeJS.Timeout[] = []
  private keeper: { stop(): void } | null = null
  private version = -1

  constructor(
    private readonly store: QueueStore,
    private readonly hooks: EngineCostsHooks,
    private readonly options: EngineCostsOptions,
  ) {
    this.prices = new PriceBook(options.listPrices)
    this.budgets = new BudgetWatch(store.costs, { notice: hooks.notice, onError: hooks.onError })
  }

  async start(): Promise<void> {
    this.version = await this.store.externalVersion()
    await this.pricesChanged()
    await this.budgetsChanged()
    this.keeper = startRollupKeeper(this.store, this.options, this.hooks.onError)
    const timer = setInterval(() => void this.poll().catch((error: unknown) => this.hooks.onError(error, 'reading prices and budgets')), this.options.pollMs)
    timer.unref()
    this.timers.push(timer)
  }

  /** After each settle commit: cheap when no budget is set. */
  afterSettle(): Promise<void> {
    return this.budgets.check()
  }

  async pricesChanged(): Promise<void> {
    this.prices.setOverrides(await this.store.costs.priceOverrides())
  }

  async budgetsChanged(): Promise<void> {
    await this.budgets.reload()
    await this.budgets.check()
  }

  batchPausesChanged(): Promise<void> {
    return this.hooks.reloadGates()
  }

  private async poll(): Promise<void> {
    const version = await this.store.externalVersion()
    if (version === this.version) return
    this.version = version
    await this.pricesChanged()
    await this.budgetsChanged()
  }

  stop(): void {
    for (const timer of this.timers) clearInterval(timer)
    this.timers = []
    this.keeper?.stop()
    this.keeper = null
  }
}
