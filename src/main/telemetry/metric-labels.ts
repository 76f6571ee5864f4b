/**
 * Label values kept bounded. Every series Prometheus stores costs memory for as long as it
 * keeps it, so a label whose values come from operators' input (provider names, models,
 * intake's reasons) takes a limited number of short values; past the limit a new value
 * reads as `other`. Job ids, prompts and error messages are never labels at all.
 */
import { isErrorCategory } from '../../shared/errors'

/** Longest label value kept; longer ones are cut, ending in "…". */
export const MAX_LABEL_CHARS = 100
/** Most distinct values one label takes before new ones read as `other`. */
export const MAX_LABEL_VALUES = 200
export const OTHER = 'other'

export class BoundedLabel {
  private readonly seen = new Set<string>()

  constructor(
    private readonly maxValues = MAX_LABEL_VALUES,
    private readonly maxChars = MAX_LABEL_CHARS,
  ) {}

  of(value: string | null | undefined): string {
    let text = value ?? ''
    if (text.length > this.maxChars) text = `${text.slice(0, this.maxChars - 1)}…`
    if (this.seen.has(text)) return text
    if (this.seen.size >= this.maxValues) return OTHER
    this.seen.add(text)
    return text
  }
}

/**
 * A model as a label: a local model's file path reads as its file name, since the folder
 * says nothing about the model and may name the user (/home/alice/models/...).
 */
export function modelName(model: string | null | undefined): string {
  if (!model) return ''
  return /\.gguf$/i.test(model) ? (model.split(/[\\/]/).pop() ?? model) : model
}

/** An attempt's failure category, from the fixed list; anything else is UNKNOWN. */
export function categoryLabel(category: string): string {
  return isErrorCategory(category) ? category : 'UNKNOWN'
}
