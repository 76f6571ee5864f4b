// Run as a child by artifacts.test.ts: writes one very large artifact, to be killed mid-write.
import { writeArtifact } from '../../src/workers/artifacts'

const [root] = process.argv.slice(2)
const text = 'x'.repeat(Number(process.argv[3]))
await writeArtifact(root!, 1, 'big', 'text', text, {
  jobId: 1,
  attempt: 1,
  provider: 'sim',
  model: null,
  promptSha256: '',
  inputTokens: null,
  outputTokens: null,
  firstTokenMs: null,
  durationMs: 0,
})
