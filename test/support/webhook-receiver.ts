/** A webhook receiver on 127.0.0.1: records every POST's JSON body, answering with scripted statuses (then 200). */
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

export interface WebhookReceiver {
  url: string
  /** Every request's body, parsed, with the status it was answered with. */
  received: { body: Record<string, unknown>; status: number }[]
  close(): Promise<void>
}

export async function startWebhookReceiver(statuses: number[] = []): Promise<WebhookReceiver> {
  const received: WebhookReceiver['received'] = []
  const script = [...statuses]
  const server = createServer((req, res) => {
    let text = ''
    req.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
    req.on('end', () => {
      const status = script.shift() ?? 200
      received.push({ body: JSON.parse(text) as Record<string, unknown>, status })
      res.writeHead(status, { 'Content-Type': 'text/plain' }).end(status === 200 ? 'ok' : 'no')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hooks/genops`,
    received,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  }
}
