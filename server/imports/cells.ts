/**
 * Cell readers for the .xlsx import (issue 20): pure functions that turn the cells exceljs hands us
 * — as people really fill them in — into clean values, or into a message key (imports.cells.*) that
 * the import shows next to the row. No database here; the catalogue for matchName is passed in.
 *
 * exceljs gives each cell as a `CellValue`: string, number, boolean, Date, null/undefined,
 * { richText: [{ text }] }, { formula | sharedFormula, result }, { text, hyperlink }, { error }.
 * `plainValue` reduces any of them to string | number | boolean | Date | null; an error cell
 * (#N/A, #REF! …) counts as empty.
 */
import { idCheckChar, normaliseIdNumber } from '../applicants/id-number.ts'
import { CONTROL_CHARACTER } from '../views/submitted-values.ts'

export type Read<T> = { ok: true; value: T } | { ok: false; key: string; params?: Record<string, unknown> }

const ok = <T>(value: T): Read<T> => ({ ok: true, value })
const fail = <T = never>(key: string, params?: Record<string, unknown>): Read<T> =>
  params ? { ok: false, key: `imports.cells.${key}`, params } : { ok: false, key: `imports.cells.${key}` }

type Plain = string | number | boolean | Date | null

/** The value behind a cell: rich text joined, a formula's result, a hyperlink's text. */
function plainValue(cell: unknown, depth = 0): Plain {
  if (cell === null || cell === undefined) return null
  if (typeof cell === 'string' || typeof cell === 'number' || typeof cell === 'boolean') return cell
  if (cell instanceof Date) return cell
  if (typeof cell !== 'object' || depth > 4) return null
  const o = cell as Record<string, unknown>
  if (Array.isArray(o.richText)) return o.richText.map((run) => (run && typeof run === 'object' ? String((run as { text?: unknown }).text ?? '') : '')).join('')
  if ('formula' in o || 'sharedFormula' in o || 'result' in o) return plainValue(o.result, depth + 1)
  if ('hyperlink' in o || 'text' in o) return plainValue(o.text, depth + 1)
  return null // { error: '#N/A' } and any shape we do not know
}

/** Full-width ASCII (U+FF01–U+FF5E) to half-width, the ideographic space to a space, zero-width characters dropped. */
function foldWidth(s: string): string {
  return s
    .replace(/[\uFF01-\uFF5E]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/\u3000/g, ' ')
    .replace(/[\u200B-\u200D\u2060\uFEFF]/g, '')
}

/** Excel keeps 15 significant digits; a formula's 0.1 + 0.2 reads as 0.3, as the sheet shows it. */
const asExcelShows = (n: number) => (Number.isInteger(n) ? n : Number(n.toPrecision(15)))

/** A number as people see it: 13912345678, never 1.3912345678e+10. */
function numberText(value: number): string {
  if (!Number.isFinite(value)) return ''
  const n = asExcelShows(value)
  if (Number.isInteger(n)) return BigInt(n).toString()
  const s = String(n)
  if (!/e/i.test(s)) return s
  return n.toFixed(20).replace(/0+$/, '').replace(/\.$/, '')
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0')

function dateText(d: Date): string {
  if (Number.isNaN(d.getTime())) return ''
  const day = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`
  const h = d.getUTCHours(), m = d.getUTCMinutes(), s = d.getUTCSeconds()
  return h || m || s ? `${day} ${pad(h)}:${pad(m)}:${pad(s)}` : day
}

/** Plain text of any cell: full-width folded, trimmed, inner whitespace collapsed; '' for empty. */
export function cellText(cell: unknown): string {
  const v = plainValue(cell)
  let s: string
  if (v === null) s = ''
  else if (typeof v === 'number') s = numberText(v)
  else if (typeof v === 'boolean') s = v ? 'TRUE' : 'FALSE'
  else if (v instanceof Date) s = dateText(v)
  else s = v
  return foldWidth(s).replace(/\s+/g, ' ').trim()
}

const length = (s: string) => [...s].length

/** Optional text with a max length (in characters); '' allowed. */
export function readText(cell: unknown, max: number): Read<string> {
  const text = cellText(cell)
  // The rule every form field follows (views/submitted-values.ts): a workbook is another way in.
  if (CONTROL_CHARACTER.test(text)) return fail('controlCharacter')
  return length(text) > max ? fail('tooLong', { max }) : ok(text)
}

/** Required text. */
export function readRequiredText(cell: unknown, max: number): Read<string> {
  const text = cellText(cell)
  if (text === '') return fail('required')
  return readText(text, max)
}

// ---- Dates ----

const MIN_YEAR = 1900
const MAX_YEAR = 2100
const DAY_MS = 86_400_000
/** Excel's day 0 in the 1900 system, for serials from 61 (1900-03-01) on: 61 days before is 1899-12-30 once the phantom 1900-02-29 is counted. */
const EXCEL_EPOCH_MS = Date.UTC(1899, 11, 30)
/** Serials below 61 fall before Excel's phantom 1900-02-29 and are one day off; nobody's case is that old, so they are refused. */
const FIRST_SERIAL = 61

function calendarDate(y: number, m: number, d: number): Read<string> {
  if (!Number.isInteger(y) || y < MIN_YEAR || y > MAX_YEAR || m < 1 || m > 12 || d < 1) return fail('date')
  if (d > new Date(Date.UTC(y, m, 0)).getUTCDate()) return fail('date')
  return ok(`${pad(y, 4)}-${pad(m)}-${pad(d)}`)
}

function fromDate(date: Date): Read<string> {
  if (Number.isNaN(date.getTime())) return fail('date')
  return calendarDate(date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate())
}

const DATE_PATTERNS = [
  // 2026-1-5, 2026.1.5, 2026/1/5, 2026年1月5日 (and mixes), optionally followed by a time of day
  /^(\d{4})[-./年](\d{1,2})[-./月](\d{1,2})日?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$/,
  // 20260105
  /^(\d{4})(\d{2})(\d{2})$/,
]

/** A date as 'YYYY-MM-DD' from a Date, an Excel serial, or the ways people type one. Empty → 'required'. */
export function readDate(cell: unknown): Read<string> {
  const v = plainValue(cell)
  if (v instanceof Date) return fromDate(v)
  if (typeof v === 'number') {
    // 20260105 typed into a General cell arrives as a number; serials of 1900–2100 stay below 74 000.
    if (Number.isInteger(v) && v >= 19000101 && v <= 21001231) return readDate(String(v))
    if (!Number.isFinite(v) || v < FIRST_SERIAL) return fail('date')
    return fromDate(new Date(EXCEL_EPOCH_MS + Math.floor(v) * DAY_MS))
  }
  const text = cellText(v).replace(/\s*([-./年月日:])\s*/g, '$1')
  if (text === '') return fail('required')
  for (const pattern of DATE_PATTERNS) {
    const m = pattern.exec(text)
    if (m) return calendarDate(Number(m[1]), Number(m[2]), Number(m[3]))
  }
  return fail('date')
}

export function readOptionalDate(cell: unknown): Read<string | null> {
  return cellText(cell) === '' ? ok(null) : readDate(cell)
}

// ---- Resident ID numbers ----

/** A resident ID number, checked but never corrected. Empty → ok null. */
export function readIdNumber(cell: unknown): Read<string | null> {
  const v = plainValue(cell)
  // An 18-digit number cannot survive a double: Excel keeps 15 significant digits and zeroes the rest.
  if (typeof v === 'number' && (Math.abs(v) >= 1e15 || !Number.isFinite(v))) return fail('idAsNumber')
  const text = cellText(v)
  if (text === '') return ok(null)
  if (/^\d(\.\d+)?E\+?\d+$/i.test(text)) return fail('idAsNumber') // '5.10781198001E+17' pasted as text
  const id = text.replace(/[\s\-‐‑–—_]/g, '').replace(/×$/, 'X').toUpperCase()
  if (!/^\d{17}[\dX]$/.test(id)) return fail('idFormat')
  const valid = normaliseIdNumber(id)
  if (valid) return ok(valid)
  const expected = idCheckChar(id.slice(0, 17))
  // Only the check character is wrong when the same 17 digits with the right one form a valid number.
  // The right one is not told: the message is kept with the job, and with it 17 digits and the
  // check would be a whole ID number.
  if (id[17] !== expected && normaliseIdNumber(id.slice(0, 17) + expected)) return fail('idCheck')
  return fail('idFormat')
}

// ---- Phones ----

/** A mobile (11 digits, 1[3-9]…) as digits, or a landline (0 + 2–3 digit area code, 7–8 digits) as typed without spaces. */
export function readPhone(cell: unknown, required: boolean): Read<string> {
  const text = cellText(cell).replace(/\s/g, '')
  if (text === '') return required ? fail('required') : ok('')
  const digits = text.replace(/[-‐‑–—]/g, '').replace(/^(?:\+86|0086|\(\+?86\)|86)(?=1[3-9]\d{9}$)/, '')
  if (/^1[3-9]\d{9}$/.test(digits)) return ok(digits)
  if (/^0\d{2,3}-?\d{7,8}$/.test(text)) return ok(text)
  const bracketed = /^\((0\d{2,3})\)-?(\d{7,8})$/.exec(text) // (0838)1234567
  if (bracketed) return ok(`${bracketed[1]}-${bracketed[2]}`)
  return fail('phone')
}

// ---- Whole numbers ----

/** A whole number min..max from a number or digits ('3', '３', '1,200', '3人'). */
export function readInteger(cell: unknown, min: number, max: number): Read<number> {
  const v = plainValue(cell)
  let n: number
  if (typeof v === 'number') n = asExcelShows(v)
  else {
    const m = /^([+-]?(?:\d{1,3}(?:,\d{3})+|\d+))(?:\.0+)?[人户个名口位次件]?$/.exec(cellText(v).replace(/\s/g, ''))
    n = m ? Number(m[1].replace(/,/g, '')) : NaN
  }
  return Number.isSafeInteger(n) && n >= min && n <= max ? ok(n) : fail('integer', { min, max })
}

// ---- Closed lists ----

const choiceKey = (s: string) => cellText(s).replace(/\s/g, '').toLowerCase()

/** One value of a closed list by any of its spellings (case-insensitive, spaces ignored). */
export function readChoice<T extends string>(cell: unknown, choices: Record<T, readonly string[]>, required: boolean): Read<T | null> {
  const typed = choiceKey(cellText(cell))
  if (typed === '') return required ? fail('required') : ok(null)
  const entries = Object.entries(choices) as [T, readonly string[]][]
  for (const [value, spellings] of entries) {
    if (spellings.some((s) => choiceKey(s) === typed)) return ok(value)
  }
  return fail('choice', { options: entries.map(([value, spellings]) => spellings[0] ?? value).join('、') })
}

// ---- Names from the catalogue ----

const NAME_PUNCTUATION = /[\s·•・.。、,，()（）《》〈〉<>“”"'‘’\-—_]/g
/** Longest first, so 村委会 goes before 村 and 申报办理 before 办理. */
const NAME_SUFFIXES = ['申报办理', '居委会', '村委会', '社区', '街道', '窗口', '办理', '村', '镇', '乡']

/** A committee stands for its place: 新华村委会 is 新华村, 青龙湾居委会 is 青龙湾社区. Longest first. */
const NAME_ALIASES: [string, string][] = [
  ['社区居民委员会', '社区'],
  ['社区居委会', '社区'],
  ['居民委员会', '社区'],
  ['村民委员会', '村'],
  ['居委会', '社区'],
  ['村委会', '村'],
]

/**
 * Both sides of a comparison: folded, lower-cased, without spaces and the punctuation people
 * sprinkle in names, a trailing committee name read as its place.
 */
export function nameKey(s: string): string {
  const key = cellText(s).toLowerCase().replace(NAME_PUNCTUATION, '')
  const alias = NAME_ALIASES.find(([long]) => key.length > long.length && key.endsWith(long))
  return alias ? key.slice(0, -alias[0].length) + alias[1] : key
}

/** nameKey without the common trailing words (新华村村委会 → 新华); never strips a name to nothing. */
export function nameStem(key: string): string {
  let stem = key
  for (let changed = true; changed; ) {
    changed = false
    for (const suffix of NAME_SUFFIXES) {
      if (stem.length > suffix.length && stem.endsWith(suffix)) {
        stem = stem.slice(0, -suffix.length)
        changed = true
        break
      }
    }
  }
  return stem
}

/**
 * Whether one stem may stand for the other by containment: the shorter must have two characters
 * or more and a non-ASCII one, so codes (M12, 510781) only ever match exactly.
 */
export function stemsOverlap(a: string, b: string): boolean {
  const [short, long] = a.length <= b.length ? [a, b] : [b, a]
  return length(short) >= 2 && /[^\x00-\x7f]/.test(short) && long.includes(short)
}

/** A place, matter or window named as people write it, matched to the catalogue. */
export function matchName(cell: unknown, candidates: readonly { id: number; names: readonly string[] }[]): Read<number> {
  const value = cellText(cell)
  const typed = nameKey(value)
  if (typed === '') return fail('required')
  const typedStem = nameStem(typed)
  const keyed = candidates.map((c) => ({ ...c, keys: c.names.map(nameKey).filter((k) => k !== '') }))
  const tiers: ((key: string) => boolean)[] = [
    (key) => key === typed,
    (key) => nameStem(key) === typedStem,
    (key) => stemsOverlap(nameStem(key), typedStem),
  ]
  for (const matches of tiers) {
    const found = keyed.filter((c) => c.keys.some(matches))
    const ids = new Set(found.map((c) => c.id))
    if (ids.size === 1) return ok(found[0].id)
    if (ids.size > 1) {
      const seen = new Set<number>()
      const options = found.filter((c) => !seen.has(c.id) && seen.add(c.id)).slice(0, 5).map((c) => c.names[0])
      return fail('ambiguous', { value, options: options.join('、') })
    }
  }
  return fail('unknown', { value })
}
