/**
 * `node --import tsx test/support/open-at.ts FILE AT`: opens the queue's database at the
 * instant AT (ms since the epoch, spinning until then), as two `genops` commands started
 * together do; prints "ok" or the error's code and message.
 */
import { openDatabase } from '../../src/main/store/sqlite/db/connection'

const [file, at] = process.argv.slice(2)
while (Date.now() < Number(at)) {
  // Spinning, not sleeping: a timer would let the two processes drift apart by a millisecond or more.
}
try {
  openDatabase(file!).close()
  console.log('ok')
} catch (error) {
  console.log(`${(error as { code?: string }).code ?? ''} ${(error as Error).message}`)
}
