/** The value scrubber the logs, the spans and the diagnostic bundle share. */
import { describe, expect, it } from 'vitest'
import { REDACTED, redact, redactValue, redactWith, secretValues } from '../../src/shared/redact'

const OPENAI = 'sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv1wXy4z'
const ANTHROPIC = 'sk-ant-api03-Zy9xWv8uTs7rQp6oNm5lKj4iHg3fEd2cBa1-AAAA'

describe('redact', () => {
  it.each([
    ['an OpenAI key', `key ${OPENAI} was refused`, `key ${REDACTED} was refused`],
    ['an Anthropic key', `using ${ANTHROPIC}.`, `using ${REDACTED}.`],
    ['a key the provider masked half-way', 'Incorrect API key provided: sk-kept-i****6789.', `Incorrect API key provided: ${REDACTED}.`],
    ['a bearer token alone', 'sent Bearer abc.DEF-123_xyz~+/= upstream', `sent Bearer ${REDACTED} upstream`],
    ['an Authorization header', 'Authorization: Bearer 0123456789abcdef', `Authorization: ${REDACTED}`],
    ['a Basic Authorization header', 'authorization: Basic dXNlcjpwYXNzd29yZA==', `authorization: ${REDACTED}`],
    ['an x-api-key header', 'x-api-key: 9f8e7d6c5b4a', `x-api-key: ${REDACTED}`],
    ['key= in a query', 'GET /v1/models?key=AIzaSyA-1234567890abcdefghijklmnopqrstu&alt=json', `GET /v1/models?key=${REDACTED}&alt=json`],
    ['token= in a query', 'https://host/feed?token=deadbeefcafebabe0123', `https://host/feed?token=${REDACTED}`],
    ['api_key=', 'api_key=hunter2hunter2', `api_key=${REDACTED}`],
    ['a password', 'password: correct-horse', `password: ${REDACTED}`],
    ['a client secret', 'client_secret=s3cr3t-value', `client_secret=${REDACTED}`],
    ['a JSON field', '{"apiKey":"whatever-shape-1","model":"m"}', `{"apiKey":"${REDACTED}","model":"m"}`],
    ['a JSON Authorization', '{"authorization":"Bearer tok_123456789"}', `{"authorization":"${REDACTED}"}`],
    ['a GitHub token', 'ghp_0123456789abcdefghijABCDEFGHIJ012345', REDACTED],
    ['a Hugging Face token', 'HF hf_abcdefghijklmnopqrstuvwxyz', `HF ${REDACTED}`],
    ['an AWS access key', 'AKIAIOSFODNN7EXAMPLE', REDACTED],
    ['a Google API key', 'AIzaSyA-1234567890abcdefghijklmnopqrstu', REDACTED],
    ['a JWT', 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U', REDACTED],
    ['credentials in a URL', 'connect https://admin:pa55word@db.example.com/x', `connect https://admin:${REDACTED}@db.example.com/x`],
  ])('masks %s', (_what, text, expected) => {
    expect(redact(text)).toBe(expected)
  })

  it.each([
    ['a trace id', 'traceId 4bf92f3577b34da6a3ce929d0e0e4736 span 00f067aa0ba902b7'],
    ['token counts', '{"outputTokens":12,"gen_ai.usage.input_tokens":3,"maxTokens":50}'],
    ['an idempotency key', '{"idempotencyKey":"order-42","idempotency_key":"order-42"}'],
    ['a key file path', '{"keyFile":"/home/me/.keys/openai","hasKey":true}'],
    ['the first-token event', '{"name":"first token","timeMs":1800000000000.5}'],
    ['plain words', 'task-queue disk-full ask-me the risk-assessment; Basic checks passed'],
    ['a URL without credentials', 'http://127.0.0.1:8080/v1/chat@latest'],
    ['a short text', 'sk-1'],
  ])('leaves %s alone', (_what, text) => {
    expect(redact(text)).toBe(text)
  })

  it('keeps a JSON line JSON, with the key gone from every place it stood', () => {
    const line = JSON.stringify({
      msg: `attempt failed: 401 Incorrect API key provided: ${OPENAI}`,
      err: { stack: `Error: bad key ${OPENAI}\n    at call (file.ts:1:1)` },
      headers: { Authorization: `Bearer ${OPENAI}` },
      note: `token=${OPENAI}`,
    })
    const masked = redact(line)
    expect(masked).not.toContain(OPENAI)
    expect(JSON.parse(masked)).toMatchObject({ headers: { Authorization: REDACTED }, note: `token=${REDACTED}` })
  })

  it('masks each occurrence, and text already masked stays as it is', () => {
    expect(redact(`${OPENAI} and ${OPENAI}`)).toBe(`${REDACTED} and ${REDACTED}`)
    expect(redact(redact(`apiKey=${OPENAI}`))).toBe(`apiKey=${REDACTED}`)
  })
})

describe('redactValue', () => {
  it('masks fields named like secrets whole, and strings anywhere by shape', () => {
    const value = {
      provider: 'openai',
      apiKey: 'not-shaped-like-a-key',
      config: { token: 12345678, temperature: 0.2, nested: [{ Authorization: 'anything' }, `see ${ANTHROPIC}`] },
      hasKey: true,
      secret: null,
    }
    expect(redactValue(value)).toEqual({
      provider: 'openai',
      apiKey: REDACTED,
      config: { token: REDACTED, temperature: 0.2, nested: [{ Authorization: REDACTED }, `see ${REDACTED}`] },
      hasKey: true,
      secret: null,
    })
  })

  it('turns an error into its type, message and stack, masked', () => {
    const error = Object.assign(new TypeError(`refused ${OPENAI}`), { status: 401 })
    const masked = redactValue(error) as Record<string, unknown>
    expect(masked).toMatchObject({ type: 'TypeError', message: `refused ${REDACTED}`, status: 401 })
    expect(masked.stack).toContain(`TypeError: refused ${REDACTED}`)
    expect(JSON.stringify(masked)).not.toContain(OPENAI)
  })

  it('leaves the value given untouched and cuts what is nested too deep', () => {
    const value = { apiKey: OPENAI }
    redactValue(value)
    expect(value.apiKey).toBe(OPENAI)
    let deep: unknown = OPENAI
    for (let i = 0; i < 20; i++) deep = { next: deep }
    expect(JSON.stringify(redactValue(deep))).not.toContain(OPENAI)
  })

  it('keeps numbers, booleans and null as they are', () => {
    expect(redactValue(42)).toBe(42)
    expect(redactValue(false)).toBe(false)
    expect(redactValue(null)).toBe(null)
    expect(redactValue([1, 'x'])).toEqual([1, 'x'])
  })
})

describe('secret values from the environment', () => {
  it("masks a key, token, secret or password variable's value wherever it appears, whatever its shape", () => {
    const env = {
      GENOPS_TOKEN: 'local-api-token-123',
      OLLAMA_API_KEY: ' plainword99 ',
      DB_PASSWORD: 'short',
      HOME: '/home/operator-long-path',
      PATH: undefined,
    }
    const secrets = secretValues(env)
    expect(secrets).toEqual(['local-api-token-123', 'plainword99'])
    expect(redactWith('serve token local-api-token-123 from /home/operator-long-path, key plainword99', secrets)).toBe(
      `serve token ${REDACTED} from /home/operator-long-path, key ${REDACTED}`,
    )
  })
})
