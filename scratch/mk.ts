import { writeFileSync } from 'node:fs'
const COMPONENTS = ['a todo app', 'a weather widget', 'a pricing table', 'a login form', 'an FAQ accordion']
const lines = Number(process.argv[2])
writeFileSync(process.argv[3], Array.from({ length: lines }, (_, i) => JSON.stringify({ prompt: `Generate a React component for ${COMPONENTS[i % COMPONENTS.length]}. Variant ${i}.`, priority: (['low', 'normal', 'high'] as const)[i % 3], tags: ['ui', `batch-${i % 10}`], ...(i % 5 === 0 ? { config: { temperature: 0.2, maxTokens: 400 } } : {}) })).join('\n'))
