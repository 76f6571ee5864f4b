/** What a drop or an `enqueue` call is called on the screens and in reports: named from its files. */

/** The contract's limit on a batch name. */
const MAX_BATCH_NAME = 200

/** `prompts.jsonl`, or `a.jsonl + 2 more` for several files (names as intake reports them). */
export function batchName(files: readonly string[]): string {
  if (files.length === 0) throw new Error('a batch is named from at least one file')
  const more = files.length > 1 ? ` + ${files.length - 1} more` : ''
  const first = files[0]!
  const room = MAX_BATCH_NAME - more.length
  return (first.length > room ? `${first.slice(0, room - 1)}…` : first) + more
}
