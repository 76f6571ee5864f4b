// `node --import ./register.mjs`: `import 'electron'` gets fake-electron.mjs. Electron's
// binary cannot run on every machine that runs the tests; the shell's glue still can.
import { register } from 'node:module'

const fake = new URL('./electron.mjs', import.meta.url).href
const hooks = `export async function resolve(specifier, context, next) {
  return specifier === 'electron' ? { url: ${JSON.stringify(fake)}, shortCircuit: true } : next(specifier, context)
}`
register(`data:text/javascript,${encodeURIComponent(hooks)}`)
