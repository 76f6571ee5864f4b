/**
 * The shared prompt fixtures and exactly what intake must make of them. Every file in
 * good/ and bad/ has an entry here: a fixture added without one fails the tests.
 */
import { join } from 'node:path'
import { expect } from 'vitest'
import type { JobSpec } from '../../src/shared/jobs'

export const FIXTURES = join(import.meta.dirname, '../../../shared/fixtures/prompts')
export const good = (name: string) => join(FIXTURES, 'good', name)
export const bad = (name: string) => join(FIXTURES, 'bad', name)

const COMPONENTS = [
  'a todo app',
  'a weather widget',
  'a pricing table',
  'a login form',
  'an FAQ accordion',
  'a photo gallery',
  'a blog post card',
  'a newsletter signup',
  'a 404 page',
  'a settings panel',
]
const TONES = 'playful warm playful formal warm warm formal warm playful formal warm formal warm warm warm playful playful warm warm warm'.split(' ')

export const GOOD_JOBS: Record<string, JobSpec[]> = {
  'one-prompt.txt': [{ prompt: 'Summarise the causes of the 1929 stock market crash in five bullet points.' }],
  'landing-page.md': [
    {
      prompt:
        'Write a responsive landing page in plain HTML and CSS for a neighbourhood bakery called\n' +
        '"Crumb & Co". Include a hero section, opening hours, a three-item menu and a contact form.\n' +
        'Return only the HTML document.',
    },
  ],
  'components.jsonl': Array.from({ length: 50 }, (_, i) => ({
    prompt: `Generate a React component for ${COMPONENTS[i % 10]}. Variant ${i}.`,
    priority: (['low', 'normal', 'high'] as const)[i % 3],
    tags: ['ui', 'batch-a'],
    ...(i % 5 === 0 ? { config: { temperature: 0.2, maxTokens: 400 } } : {}),
  })),
  'array.json': [{ prompt: "Translate 'good morning' into French, German and Japanese." }, { prompt: 'List three uses of a paperclip.', priority: 'high' }],
  // CRLF between rows, LF inside the quoted prompts: the prompt keeps its line break, the row ends do not leak in.
  'products.csv': TONES.map((tone, i) => ({
    prompt: `Write a product description for item ${i}, a "handmade" ceramic mug,\nin two short paragraphs.`,
    config: { vars: { sku: `MUG-${String(i).padStart(3, '0')}`, tone } },
  })),
}

/** Each bad fixture's report, line by line; a RegExp where the rest of the line is JSON.parse's own words. */
export const BAD_ERRORS: Record<string, (string | RegExp)[]> = {
  'broken-line.jsonl': [/^broken-line\.jsonl:7: not valid JSON \(.+\)$/],
  'empty.txt': ['empty.txt: the file is empty'],
  'no-prompt-column.csv': ['no-prompt-column.csv:1: the file has no "prompt" column (its columns: title, body)'],
  // The array sits on one line: both jobs are on line 1, told apart by their place in the array.
  'wrong-types.json': [
    /^wrong-types\.json:1: job 2: prompt: Invalid input: expected string, received number$/,
    /^wrong-types\.json:1: job 3: priority: Invalid option: expected one of "high"\|"normal"\|"low"$/,
  ],
}

export const matchers = (lines: (string | RegExp)[]) => lines.map((line) => (typeof line === 'string' ? line : expect.stringMatching(line)))
