/**
 * The fake OpenAI server of the lanes bench (batch API and real-time chat completions, see
 * test/support/fake-openai-batches.ts), in a process of its own so that the engine's CPU is
 * measured without the server's. Prints its base URL, then serves until stdin closes.
 */
import { startFakeOpenAIBatches } from '../test/support/fake-openai-batches'

const fake = await startFakeOpenAIBatches()
// The batch lane's answers are the real-time ones, so the two lanes' tokens (and so their costs) compare.
fake.book.answer = () => ({ text: fake.chat.text })
process.stdout.write(`${fake.url}\n`)
process.stdin.resume()
process.stdin.on('end', () => void fake.close().then(() => process.exit(0)))
