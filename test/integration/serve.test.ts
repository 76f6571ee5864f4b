/** `genops serve` refuses what would expose the queue or hide a mistake. */
import { once } from 'node:events'
import { createServer } from 'node:net'
import { describe, expect, it } from 'vitest'
import { genops } from '../support/cli'
import { tempDir } from '../support/temp'

describe('genops serve', () => {
  it('refuses a non-loopback address without a configured token', () => {
    const result = genops(['serve', '--host', '0.0.0.0', '--port', '0', '--data-dir', tempDir()])
    expect(result.status).toBe(2)
    expect(result.stderr).toContain('refusing to listen on 0.0.0.0, which is not loopback, without a configured token')
  })

  it('says a busy port is busy instead of moving to another', async () => {
    const blocker = createServer().listen(0, '127.0.0.1')
    await once(blocker, 'listening')
    const { port } = blocker.address() as { port: number }
    try {
      const result = genops(['serve', '--port', String(port), '--data-dir', tempDir()])
      expect(result.status).toBe(1)
      expect(result.stderr).toContain(`port ${port} on 127.0.0.1 is already in use`)
    } finally {
      blocker.close()
    }
  })
})
