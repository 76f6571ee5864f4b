/** What each format reads, and that .jsonl, .json and .csv mean the same by the same field. */
import { describe, expect, it } from 'vitest'
import { parsePromptFile } from '../../src/main/intake/parse'
import type { JobSpec } from '../../src/shared/jobs'

const parse = (name: string, text: string) => parsePromptFile(name, new TextEncoder().encode(text))
const jobsOf = (name: string, text: string): JobSpec[] => {
  const parsed = parse(name, text)
  if (!parsed.ok) throw new Error(parsed.errors.join('\n'))
  return parsed.jobs
}
const errorsOf = (name: string, text: string): string[] => {
  const parsed = parse(name, text)
  if (parsed.ok) throw new Error(`${name} was taken`)
  return parsed.errors
}

const SCHEMA = { type: 'object', required: ['summary'] }

/** Every field a job may carry, once through each format. */
const EVERY_FIELD: JobSpec[] = [
  {
    prompt: 'Describe {{city}} in {{words}} words.',
    provider: 'ollama',
    model: 'llama3.2',
    priority: 'high',
    attempts: 5,
    delayMs: 30_000,
    idempotencyKey: 'city-lyon',
    tags: ['travel', 'fr'],
    config: { temperature: 0.3, vars: { city: 'Lyon', words: '50' }, output: { schema: SCHEMA } },
  },
  {
    prompt: 'Name three rivers near {{city}}.',
    provider: 'openai',
    priority: 'low',
    idempotencyKey: 'rivers',
    tags: ['geo'],
    config: { vars: { city: 'Porto', words: '' }, output: 'json' },
  },
]

describe('the same jobs from every structured format', () => {
  const lines = [
    {
      prompt: 'Describe {{city}} in {{words}} words.',
      profile: 'ollama',
      model: 'llama3.2',
      priority: 'high',
      attempts: 5,
      delayMs: 30_000,
      idempotency_key: 'city-lyon',
      tags: ['travel', 'fr'],
      config: { temperature: 0.3 },
      vars: { city: 'Lyon', words: '50' },
      output: 'json',
      schema: SCHEMA,
    },
    {
      prompt: 'Name three rivers near {{city}}.',
      provider: 'openai',
      priority: 'low',
      idempotencyKey: 'rivers',
      tags: ['geo'],
      vars: { city: 'Porto', words: '' },
      output: 'json',
    },
  ]
  const csv = [
    'prompt,profile,provider,Model,priority,attempts,delay_ms,Idempotency Key,tags,config,output,schema,city,words',
    `"Describe {{city}} in {{words}} words.",ollama,,llama3.2,high,5,30000,city-lyon,travel;fr,"{""temperature"":0.3}",json,"${JSON.stringify(SCHEMA).replace(/"/g, '""')}",Lyon,50`,
    '"Name three rivers near {{city}}.",,openai,,low,,,rivers,geo,,json,,Porto,',
  ].join('\n')

  it('.jsonl', () => expect(jobsOf('a.jsonl', lines.map((line) => JSON.stringify(line)).join('\n'))).toEqual(EVERY_FIELD))
  it('.json', () => expect(jobsOf('a.json', JSON.stringify(lines, null, 2))).toEqual(EVERY_FIELD))
  it('.csv', () => expect(jobsOf('a.csv', csv)).toEqual(EVERY_FIELD))
})

describe('.txt and .md', () => {
  it('are one prompt each, trimmed', () => {
    expect(jobsOf('a.txt', '\n  Say hello.\n\n')).toEqual([{ prompt: 'Say hello.' }])
  })
})

describe('.jsonl', () => {
  it('skips blank lines and still counts them', () => {
    expect(errorsOf('a.jsonl', '{"prompt":"a"}\n\n\n{"prompt":""}\n')).toEqual(['a.jsonl:4: prompt: prompt is empty'])
  })

  it('refuses unknown job fields rather than dropping them silently', () => {
    expect(errorsOf('x.jsonl', '{"prompt":"a","priorty":"high"}')).toEqual([expect.stringMatching(/^x\.jsonl:1: .*priorty/)])
  })

  it('refuses an API key in a job config: it would be stored with the job', () => {
    expect(errorsOf('x.jsonl', '{"prompt":"a","config":{"apiKey":"sk-123"}}')).toEqual([
      expect.stringMatching(/^x\.jsonl:1: config\.apiKey: a job holds no API keys/),
    ])
  })

  it('refuses a line that is not a job object', () => {
    expect(errorsOf('x.jsonl', '["a"]\n"b"')).toEqual([
      expect.stringMatching(/^x\.jsonl:1: Invalid input: expected object/),
      expect.stringMatching(/^x\.jsonl:2: /),
    ])
  })
})

describe('.json', () => {
  it('names the line each job of the array starts on', () => {
    const text = '[\n  {"prompt": "ok"},\n  {\n    "prompt": "x",\n    "priority": "soon"\n  },\n  {"prompt": "a ] and a { in a string"}, {"prompt": 7}\n]'
    expect(errorsOf('a.json', text)).toEqual([expect.stringMatching(/^a\.json:3: job 2: priority: /), expect.stringMatching(/^a\.json:7: job 4: prompt: /)])
  })

  it('holds an array of jobs, not one job', () => {
    expect(errorsOf('a.json', '{"prompt": "a"}')).toEqual(['a.json: a .json file holds an array of jobs, like [{"prompt": "..."}]'])
    expect(errorsOf('a.json', '[1,')).toEqual([expect.stringMatching(/^a\.json: not valid JSON \(/)])
  })
})

describe('output and schema', () => {
  it('read the same written short or inside config', () => {
    const short = jobsOf('a.jsonl', `{"prompt":"a","schema":${JSON.stringify(SCHEMA)}}\n{"prompt":"b","output":"text"}`)
    const long = jobsOf('a.jsonl', `{"prompt":"a","config":{"output":{"schema":${JSON.stringify(SCHEMA)}}}}\n{"prompt":"b","config":{"output":"text"}}`)
    expect(short).toEqual(long)
    expect(short).toEqual([
      { prompt: 'a', config: { output: { schema: SCHEMA } } },
      { prompt: 'b', config: { output: 'text' } },
    ])
  })

  it('refuse what the worker could not honour, by line', () => {
    const lines = [
      '{"prompt":"a","output":"xml"}',
      '{"prompt":"a","output":"text","schema":{"type":"object"}}',
      '{"prompt":"a","schema":{"type":"nonsense"}}',
      '{"prompt":"a","config":{"output":"yaml"}}',
      '{"prompt":"a","output":"json","config":{"output":"json"}}',
      '{"prompt":"a","profile":"ollama","provider":"openai"}',
      '{"prompt":"a","vars":{"x":1},"config":{"vars":{}}}',
      '{"prompt":"a","vars":["x"]}',
    ]
    expect(errorsOf('a.jsonl', lines.join('\n'))).toEqual([
      'a.jsonl:1: output: output must be "text", "json" or {"schema": {...}}',
      'a.jsonl:2: a schema needs JSON output, but output is "text"',
      expect.stringMatching(/^a\.jsonl:3: the output schema is not a valid JSON Schema \(.+\)$/),
      'a.jsonl:4: config.output: output must be "text", "json" or {"schema": {...}}',
      'a.jsonl:5: the output is given twice (output or schema, and config.output)',
      'a.jsonl:6: name a provider or a profile, not both',
      'a.jsonl:7: the variables are given twice (vars and config.vars)',
      'a.jsonl:8: vars: vars is an object of names to values, like {"city": "Lyon"}',
    ])
  })
})

describe('.csv', () => {
  it('keeps quoted line breaks in a prompt, CRLF ones as LF, and counts lines from where each row starts', () => {
    const text = 'prompt,n\r\n"first\r\nline",1\r\n\r\n"second\nand\nthird",2\r\n"fourth",x,y\r\n'
    expect(errorsOf('a.csv', text)).toEqual(['a.csv:8: the row has 3 cells, the header has 2 columns'])
    expect(jobsOf('a.csv', text.replace(',x,y', ',4'))).toEqual([
      { prompt: 'first\nline', config: { vars: { n: '1' } } },
      { prompt: 'second\nand\nthird', config: { vars: { n: '2' } } },
      { prompt: 'fourth', config: { vars: { n: '4' } } },
    ])
  })

  it('needs a prompt column, and says so with the columns it found', () => {
    expect(errorsOf('a.csv', 'title,body\nhello,world\n')).toEqual(['a.csv:1: the file has no "prompt" column (its columns: title, body)'])
    expect(errorsOf('a.csv', 'prompt;sku\nhello;1\n')).toEqual([
      'a.csv:1: the file has no "prompt" column (its columns: prompt;sku); the cells must be separated by commas',
    ])
  })

  it('refuses a header with a column twice or without a name', () => {
    expect(errorsOf('a.csv', 'prompt,Idempotency Key,idempotency_key,\nx,1,2,3\n')).toEqual([
      'a.csv:1: the column "idempotency_key" appears twice',
      'a.csv:1: column 4 has no name in the header row',
    ])
  })

  it('reads tags split by ; or , and leaves empty job cells to the defaults', () => {
    expect(jobsOf('a.csv', 'Prompt,tags,priority,model\nA,"ui, web",,\nB,ui;;web ;,low,\n')).toEqual([
      { prompt: 'A', tags: ['ui', 'web'] },
      { prompt: 'B', tags: ['ui', 'web'], priority: 'low' },
    ])
  })

  it('names the row and column of a cell that does not read', () => {
    expect(errorsOf('a.csv', 'prompt,attempts,config\na,3,\nb,three,\nc,,{nope}\nd,1,\n,2,\n')).toEqual([
      'a.csv:3: attempts: "three" is not a whole number',
      expect.stringMatching(/^a\.csv:4: config: not valid JSON \(/),
      'a.csv:6: prompt: prompt is empty',
    ])
  })

  it('takes quotes that do not wrap a whole cell as they are written', () => {
    expect(jobsOf('a.csv', 'prompt\nsay "hi" twice\n"hi" there\n')).toEqual([{ prompt: 'say "hi" twice' }, { prompt: '"hi" there' }])
  })

  it('names the line a never-closed quote opens on', () => {
    expect(errorsOf('a.csv', 'prompt,n\na,1\n\n"b,2\nc,3\n')).toEqual(['a.csv:4: a quoted cell is never closed (a " is missing)'])
  })

  it('refuses a header with no rows', () => {
    expect(errorsOf('a.csv', 'prompt,sku\n')).toEqual(['a.csv: the file has a header row but no rows of prompts'])
  })
})
