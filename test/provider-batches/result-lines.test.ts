/**
 * A provider batch's results are read line by line as the body streams in, never as one
 * string (a results file can outgrow V8's string limit): a real HTTP server on loopback
 * sends a body in pieces, holding the rest back until the first line has been read.
 */
import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterEach, describe, expect, it } from 'vitest'
import { jsonlLines } from '../../src/main/provider-batches/api'

let server: Server | undefined
afterEach(async () => {
  server?.close()
  if (server) await once(server, 'close')
  server = undefined
})

/** Serves one body written as `pieces`, each after `before(i)` resolves. */
async function serve(pieces: Buffer[], before: (i: number) => Promise<void>): Promise<string> {
  server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/octet-stream' })
    void (async () => {
      for (const [i, piece] of pieces.entries()) {
        await before(i)
        res.write(piece)
      }
      res.end()
    })()
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/results`
}

describe('result lines', () => {
  it('yields each line as it arrives, across CRLF, blank lines, a last line with no newline and a character split between chunks', async () => {
    const body = Buffer.from('{"custom_id":"job-1-1"}\r\n{"custom_id":"job-2-1","text":"naïve ✓"}\n\n{"custom_id":"job-3-1"}')
    // The second piece starts inside the two bytes of "ï".
    const split = body.indexOf(Buffer.from('ï')) + 1
    let firstRead!: () => void
    const firstLineRead = new Promise<void>((resolve) => (firstRead = resolve))
    const url = await serve([body.subarray(0, split), body.subarray(split)], (i) => (i === 1 ? firstLineRead : Promise.resolve()))

    const lines: string[] = []
    for await (const line of jsonlLines(await fetch(url))) {
      lines.push(line)
      // The server sends the rest only once this line was read: a reader that waited for the whole body would hang here.
      if (lines.length === 1) firstRead()
    }
    expect(lines).toEqual(['{"custom_id":"job-1-1"}', '{"custom_id":"job-2-1","text":"naïve ✓"}', '{"custom_id":"job-3-1"}'])
  })

  it('reads an empty body as no lines', async () => {
    const url = await serve([], () => Promise.resolve())
    const lines: string[] = []
    for await (const line of jsonlLines(await fetch(url))) lines.push(line)
    expect(lines).toEqual([])
  })
})
