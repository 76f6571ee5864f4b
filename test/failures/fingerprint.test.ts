import { describe, expect, it } from 'vitest'
import { fingerprint, maskMessage, MAX_PATTERN } from '../../src/main/failures/fingerprint'

describe('masking a failure message', () => {
  it.each([
    ['request 4711 to "/v1/chat" failed after 30000 ms', 'request <n> to <str> failed after <n> ms'],
    ['simulated SERVICE_UNAVAILABLE on attempt 2 of the first 3', 'simulated SERVICE_UNAVAILABLE on attempt <n> of the first <n>'],
    ['simulated 503 Service Unavailable', 'simulated <n> Service Unavailable'],
    ['took 1.5s, expected under 2s', 'took <n>s, expected under <n>s'],
    ['connect ECONNREFUSED 127.0.0.1:11434', 'connect ECONNREFUSED <n>:<n>'],
    ['value 0x1F4 out of range', 'value <n> out of range'],
    // Quoted values, in each kind of quote; an apostrophe inside a word is not a quote.
    ["don't know what 'foo' means", "don't know what <str> means"],
    ['The model `gpt-missing` does not exist', 'The model <str> does not exist'],
    ['unknown field "tempreature" in config', 'unknown field <str> in config'],
    // URLs, with the sentence's full stop left outside.
    ['GET https://api.openai.com/v1/chat/completions?x=1 returned 500', 'GET <url> returned <n>'],
    ['find your key at https://platform.openai.com/account/api-keys.', 'find your key at <url>.'],
    // Paths: absolute, relative, home, Windows, with a line number after.
    ['cannot open /home/ann/.config/GenOps/artifacts/12/out-3.txt: ENOENT', 'cannot open <path>: ENOENT'],
    ['moved /a/../b/./c.txt, then /tmp/x.', 'moved <path>, then <path>.'],
    ['see ./logs/genops.log and ../x/y', 'see <path> and <path>'],
    ['read artifacts/7/job-12.json failed', 'read <path> failed'],
    ['cannot open C:\\Users\\ann\\AppData\\GenOps\\x.txt', 'cannot open <path>'],
    ['file /srv/app.js:12:3 threw', 'file <path>:<n>:<n> threw'],
    ['wrote ~/notes/today.md.', 'wrote <path>.'],
    // Ids: uuids, hex trace ids and hashes, request ids mixing letters and digits.
    ['job 550e8400-e29b-41d4-a716-446655440000 vanished', 'job <id> vanished'],
    ['trace 4bf92f3577b34da6a3ce929d0e0e4736 failed', 'trace <id> failed'],
    ['commit deadbeef12 is broken', 'commit <id> is broken'],
    ['request req_01HZX9ABCDEFGHJKMNPQRS failed', 'request req_<id> failed'],
    // What does not vary is left alone.
    ['its lease expired: the process running it stopped or hung', 'its lease expired: the process running it stopped or hung'],
    ['input/output mismatch and/or junk', 'input/output mismatch and/or junk'],
    [
      'Rate limit reached for gpt-test on requests per min (RPM): Limit 3, Used 3',
      'Rate limit reached for gpt-test on requests per min (RPM): Limit <n>, Used <n>',
    ],
    ['  spread\n over\tlines  ', 'spread over lines'],
  ])('%j → %j', (message, pattern) => {
    expect(maskMessage(message)).toBe(pattern)
  })

  it('caps a long message, so a payload at its end does not make a group per job', () => {
    const payload = 'quiet river light stone early bright small lantern garden morning '.repeat(5)
    const a = maskMessage(`output does not match the schema: ${payload} alpha`)
    expect(a.length).toBe(MAX_PATTERN)
    expect(a.endsWith('…')).toBe(true)
    expect(maskMessage(`output does not match the schema: ${payload} omega`)).toBe(a)
    expect(maskMessage('x'.repeat(MAX_PATTERN))).toBe('x'.repeat(MAX_PATTERN))
  })
})

describe('fingerprint', () => {
  it('is the same for messages that differ only in what is masked', () => {
    const a = fingerprint('PROVIDER', 'request 4711 to "/v1/chat" failed after 30000 ms')
    const b = fingerprint('PROVIDER', "request 12 to '/v2/embeddings' failed after 5 ms")
    expect(a).toEqual(b)
    expect(a.fingerprint).toMatch(/^[0-9a-f]{16}$/)
    expect(a.pattern).toBe('request <n> to <str> failed after <n> ms')
  })

  it('differs by category and by the words that do not vary', () => {
    const base = fingerprint('SERVICE_UNAVAILABLE', 'simulated 503 Service Unavailable')
    expect(fingerprint('PROVIDER', 'simulated 503 Service Unavailable').fingerprint).not.toBe(base.fingerprint)
    expect(fingerprint('SERVICE_UNAVAILABLE', 'simulated 503 Bad Gateway').fingerprint).not.toBe(base.fingerprint)
  })

  it('is stable: a known input gives a known fingerprint in any process', () => {
    // sha1("TIMEOUT\n<the pattern>"), first 16 hex digits; a change here splits every stored group.
    expect(fingerprint('TIMEOUT', 'its lease expired: the process running it stopped or hung').fingerprint).toBe(
      fingerprint('TIMEOUT', 'its lease expired:   the process running it stopped or hung').fingerprint,
    )
    expect(fingerprint('TIMEOUT', 'attempt 1 timed out').fingerprint).toBe('6629aad6a803f1e2')
  })
})
