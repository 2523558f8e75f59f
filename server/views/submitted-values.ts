/**
 * What every request's body, query and params must be before any route reads them: the one check
 * that no route can go around (app.ts runs it in preValidation, before each schema).
 */

/** Deeper than any form or API body we take; a hostile body nested thousands deep is refused before it is walked by anything recursive. */
export const MAX_SUBMITTED_DEPTH = 32

/**
 * Characters no text field may hold: C0 controls except tab, line feed and carriage return (which
 * multi-line text needs), DEL and C1 controls. They are invisible on screen, mean nothing in a
 * name or an address, and one of them (U+0001) makes the Open311 XML feed unreadable for every
 * partner (XML 1.0 forbids it). NUL is not here: it is dropped, as before (PostgreSQL text
 * cannot hold it and a browser may send one from a paste).
 */
// eslint-disable-next-line no-control-regex
export const CONTROL_CHARACTER = /[\u0001-\u0008\u000B\u000C\u000E-\u001F\u007F-\u009F]/

export interface SubmittedCheck {
  /** Nested deeper than MAX_SUBMITTED_DEPTH: nothing else was looked at. */
  tooDeep: boolean
  /** Where a control character was found, as ajv names a place ('/villageGroup', '/attribute/village_group'). */
  controlCharacterAt: string[]
}

const pointerPart = (key: string) => key.replaceAll('~', '~0').replaceAll('/', '~1')

/**
 * Walks a submitted value without recursion (a call stack is what a deep body exhausts), dropping
 * NUL characters from every string and noting each string that holds a control character.
 */
export function checkSubmitted(value: unknown): SubmittedCheck {
  const result: SubmittedCheck = { tooDeep: false, controlCharacterAt: [] }
  if (!value || typeof value !== 'object') return result
  const pending: { record: Record<string, unknown>; depth: number; path: string }[] = [{ record: value as Record<string, unknown>, depth: 1, path: '' }]
  while (pending.length > 0) {
    const { record, depth, path } = pending.pop()!
    if (depth > MAX_SUBMITTED_DEPTH) return { tooDeep: true, controlCharacterAt: [] }
    for (const key of Object.keys(record)) {
      const v = record[key]
      const at = `${path}/${pointerPart(key)}`
      if (typeof v === 'string') {
        const text = v.includes('\u0000') ? v.replaceAll('\u0000', '') : v
        if (text !== v) record[key] = text
        if (CONTROL_CHARACTER.test(text)) result.controlCharacterAt.push(at)
      } else if (v && typeof v === 'object') pending.push({ record: v as Record<string, unknown>, depth: depth + 1, path: at })
    }
  }
  return result
}
