import { readFileSync } from 'node:fs'
const p = JSON.parse(readFileSync(process.argv[2], 'utf8'))
const byId = new Map<number, any>(p.nodes.map((n: any) => [n.id, n]))
const parent = new Map<number, any>()
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n)
const name = (n: any) => `${n.callFrame.functionName || '(anon)'}@${n.callFrame.url.split('/').slice(-2).join('/')}:${n.callFrame.lineNumber}`
let runs: { start: number; us: number; samples: number[] }[] = []
let cur: any = null
let t = 0
p.samples.forEach((id: number, i: number) => {
  const us = p.timeDeltas[i] ?? 0
  t += us
  const idle = ['(idle)', '(program)'].includes(byId.get(id).callFrame.functionName)
  if (idle) { if (cur) runs.push(cur); cur = null; return }
  if (!cur) cur = { start: t, us: 0, samples: [] }
  cur.us += us; cur.samples.push(id)
})
runs.sort((a, b) => b.us - a.us)
for (const run of runs.slice(0, 4)) {
  console.log(`run of ${(run.us / 1000).toFixed(1)} ms at ${(run.start / 1000).toFixed(0)} ms`)
  const acc = new Map<string, number>()
  for (const id of run.samples) {
    const chain: string[] = []
    for (let n = byId.get(id); n; n = parent.get(n.id)) chain.push(name(n))
    const key = chain.reverse().filter((s) => !s.includes('node:') && !s.startsWith('(root)')).slice(-4).join(' > ')
    acc.set(key, (acc.get(key) ?? 0) + 1)
  }
  for (const [k, v] of [...acc].sort((a, b) => b[1] - a[1]).slice(0, 6)) console.log('   ', v, k.slice(0, 250))
}
