/**
 * Changes other engines commit, heard with LISTEN/NOTIFY: what SQLite's data_version tells
 * the app about the CLI's writes. One connection of its own listens (a pooled one would be
 * handed to queries); if it drops, the version moves (something may have been missed) and it
 * connects again.
 */
import pg from 'pg'
import { CHANGE_CHANNEL, type ChangeKind } from './counts'

export type ChangeListener = (what: ChangeKind) => void

const RECONNECT_MS = 1000
const KINDS: readonly ChangeKind[] = ['enqueued', 'settled', 'recovered', 'changed', 'removed']

export class ChangeFeed {
  private client: pg.Client | undefined
  private closed = false
  private reconnect: NodeJS.Timeout | undefined
  private readonly listeners = new Set<ChangeListener>()
  /** Moves with each change another store committed: the store's externalVersion. */
  version = 0

  private constructor(
    private readonly config: pg.ClientConfig,
    /** This store's name in the notices: its own are not news to it. */
    private readonly self: string,
  ) {}

  /** Listening once this resolves: a change committed after it is heard. */
  static async start(config: pg.ClientConfig, self: string): Promise<ChangeFeed> {
    const feed = new ChangeFeed(config, self)
    await feed.listen()
    return feed
  }

  /** Told of each change another store commits; returns the way to stop. */
  subscribe(listener: ChangeListener): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private async listen(): Promise<void> {
    const client = new pg.Client(this.config)
    client.on('notification', (message) => this.heard(message.payload))
    client.on('error', () => this.lost(client))
    client.on('end', () => this.lost(client))
    this.client = client
    try {
      await client.connect()
      await client.query(`LISTEN ${CHANGE_CHANNEL}`)
    } catch (error) {
      this.lost(client)
      throw error
    }
  }

  private heard(payload: string | undefined): void {
    let notice: { from?: unknown; what?: unknown } = {}
    try {
      notice = JSON.parse(payload ?? '{}') as typeof notice
    } catch {
      // Not one of ours (someone else NOTIFYs on the channel): still a reason to look again.
    }
    if (notice.from === this.self) return
    this.version++
    const what = KINDS.find((kind) => kind === notice.what) ?? 'changed'
    for (const listener of this.listeners) listener(what)
  }

  private lost(client: pg.Client): void {
    if (this.closed || this.client !== client) return
    this.client = undefined
    this.version++
    for (const listener of this.listeners) listener('changed')
    void client.end().catch(() => undefined)
    // A failed try has already scheduled the next one (listen calls lost).
    this.reconnect = setTimeout(() => void this.listen().catch(() => undefined), RECONNECT_MS)
    this.reconnect.unref()
  }

  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.reconnect)
    await this.client?.end().catch(() => undefined)
  }
}
