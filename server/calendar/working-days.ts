/**
 * Working-day arithmetic, as plain functions over a calendar of dated overrides.
 * Dates are 'YYYY-MM-DD' strings of the local time zone; no clock is read here.
 *
 * Rules (see DESIGN.md, Deadlines):
 * - A date listed as a holiday is a rest day; a date listed as a make-up workday (调休) is a working
 *   day; any other date follows Monday–Friday work, Saturday–Sunday rest.
 * - Counting N working days from a starting event: the event's own day is day 0, counting starts the
 *   next day, and the due date is the Nth working day (due at its end).
 * - Days inside a pause (waiting for materials, a posting, the applicant) do not count; the count
 *   resumes the day after the pause ends.
 */

export type DayKind = 'holiday' | 'workday'

export interface CalendarOverride {
  kind: DayKind
  name: string
  /** A county's own statutory day off, not part of the national schedule. */
  regional?: boolean
}

export type Calendar = ReadonlyMap<string, CalendarOverride>

export interface Pause {
  /** First paused day, inclusive. */
  from: string
  /** Last paused day, inclusive; null while the pause is still running. */
  to: string | null
}

export type SkipReason = 'weekend' | 'holiday' | 'paused'

export interface SkippedDay {
  date: string
  reason: SkipReason
  name?: string
}

export interface DueDate {
  start: string
  days: number
  unit: LimitUnit
  due: string
  /** The working (or calendar) days counted, in order; the last is the due date. */
  counted: string[]
  skipped: SkippedDay[]
  /** Weekend days that counted because they were declared make-up working days. */
  makeUpWorkdays: { date: string; name: string }[]
}

export type LimitUnit = 'working' | 'calendar'

const DATE_PATTERN = /^(\d{4})-(\d{2})-(\d{2})$/

/**
 * A month a user may ask for ('YYYY-MM'), in the years isValidDate accepts: '0000-01' reached
 * PostgreSQL (which has no year 0) as a 500. Also the JSON-schema pattern of month fields.
 */
export const MONTH_PATTERN = '^(19[0-9]{2}|2[01][0-9]{2})-(0[1-9]|1[0-2])$'
export function isValidMonth(value: unknown): value is string {
  return typeof value === 'string' && new RegExp(MONTH_PATTERN).test(value)
}

/** True for a real calendar date in 'YYYY-MM-DD' form (2026-02-30 is not one). */
export function isValidDate(value: unknown): value is string {
  if (typeof value !== 'string') return false
  const m = DATE_PATTERN.exec(value)
  if (!m) return false
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])]
  if (y < 1900 || y > 2200 || mo < 1 || mo > 12 || d < 1) return false
  return d <= new Date(Date.UTC(y, mo, 0)).getUTCDate()
}

function toUtc(date: string): number {
  const m = DATE_PATTERN.exec(date)
  if (!m) throw new RangeError(`not a date: ${date}`)
  return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]))
}

export function addCalendarDays(date: string, n: number): string {
  return new Date(toUtc(date) + n * 86400000).toISOString().slice(0, 10)
}

/** 0 = Sunday … 6 = Saturday. */
export function weekday(date: string): number {
  return new Date(toUtc(date)).getUTCDay()
}

export function isWeekend(date: string): boolean {
  const d = weekday(date)
  return d === 0 || d === 6
}

export function isWorkingDay(calendar: Calendar, date: string): boolean {
  const override = calendar.get(date)
  if (override) return override.kind === 'workday'
  return !isWeekend(date)
}

function isPaused(pauses: readonly Pause[], date: string): boolean {
  return pauses.some((p) => date >= p.from && (p.to === null || date <= p.to))
}

function skipReason(calendar: Calendar, date: string): SkippedDay {
  const override = calendar.get(date)
  if (override?.kind === 'holiday') return { date, reason: 'holiday', name: override.name }
  return { date, reason: 'weekend' }
}

// Far beyond any real limit; stops a runaway count on a calendar with no working days.
const MAX_SCAN_DAYS = 3660

/**
 * The due date of a limit of `days` working (or calendar) days starting on `start`,
 * with the days counted and the days passed over, for the explanation page.
 */
export function computeDueDate(calendar: Calendar, start: string, days: number, unit: LimitUnit = 'working', pauses: readonly Pause[] = []): DueDate {
  if (!isValidDate(start)) throw new RangeError(`not a date: ${start}`)
  if (!Number.isInteger(days) || days < 0) throw new RangeError(`not a number of days: ${days}`)
  const counted: string[] = []
  const skipped: SkippedDay[] = []
  const makeUpWorkdays: { date: string; name: string }[] = []
  let date = start
  let scanned = 0
  while (counted.length < days) {
    if (++scanned > MAX_SCAN_DAYS) throw new RangeError('no working day found within ten years')
    date = addCalendarDays(date, 1)
    if (isPaused(pauses, date)) {
      skipped.push({ date, reason: 'paused' })
      continue
    }
    if (unit === 'calendar' || isWorkingDay(calendar, date)) {
      counted.push(date)
      const override = calendar.get(date)
      if (unit === 'working' && override?.kind === 'workday') makeUpWorkdays.push({ date, name: override.name })
    } else {
      skipped.push(skipReason(calendar, date))
    }
  }
  let due = days === 0 ? start : date
  // A calendar-day limit that ends on a rest day moves to the next working day.
  if (unit === 'calendar') {
    while (!isWorkingDay(calendar, due)) {
      if (++scanned > MAX_SCAN_DAYS) throw new RangeError('no working day found within ten years')
      skipped.push(skipReason(calendar, due))
      due = addCalendarDays(due, 1)
    }
    if (due !== date) counted.push(due)
  }
  return { start, days, unit, due, counted, skipped, makeUpWorkdays }
}

/**
 * Working days counted from a fixed origin, per calendar: with it, the working days between two
 * dates are one subtraction, not a walk over every day in between (a case late for a year would
 * otherwise cost a year of steps on every page that shows its status).
 */
const ORDINAL_FROM = '2000-01-01'
const ORDINAL_DAYS = 60 * 366
const ordinalTables = new WeakMap<Calendar, Map<string, number>>()

function workingDayOrdinals(calendar: Calendar): Map<string, number> {
  let table = ordinalTables.get(calendar)
  if (table) return table
  table = new Map()
  let count = 0
  let t = toUtc(ORDINAL_FROM)
  for (let i = 0; i < ORDINAL_DAYS; i++, t += 86400000) {
    const date = new Date(t).toISOString().slice(0, 10)
    if (isWorkingDay(calendar, date)) count++
    table.set(date, count)
  }
  ordinalTables.set(calendar, table)
  return table
}

/** The number of working days after `from` up to and including `to` (0 when `to` ≤ `from`). */
export function workingDaysBetween(calendar: Calendar, from: string, to: string, pauses: readonly Pause[] = []): number {
  if (to <= from) return 0
  if (pauses.length === 0) {
    const ordinals = workingDayOrdinals(calendar)
    const a = ordinals.get(from)
    const b = ordinals.get(to)
    if (a !== undefined && b !== undefined) return b - a
  }
  let n = 0
  let date = from
  while (date < to) {
    date = addCalendarDays(date, 1)
    if (!isPaused(pauses, date) && isWorkingDay(calendar, date)) n++
  }
  return n
}

/** The working day `n` working days before `date` (n ≥ 0): counting back, as computeDueDate counts forward. */
export function workingDaysBefore(calendar: Calendar, date: string, n: number): string {
  let day = date
  for (let counted = 0; counted < n; ) {
    day = addCalendarDays(day, -1)
    if (isWorkingDay(calendar, day)) counted++
  }
  return day
}

/** Calendar days from `from` to `to` (negative when `to` is earlier). */
export function calendarDaysBetween(from: string, to: string): number {
  return Math.round((toUtc(to) - toUtc(from)) / 86400000)
}


/**
 * A county's calendar: the national schedule with the county's own statutory days off on top.
 * A county's day off wins over a national make-up working day (it is a day off by the county's
 * regulations); on a national holiday the national name stays.
 */
export function withRegionalHolidays(national: Calendar, regional: readonly { date: string; name: string }[]): Calendar {
  if (regional.length === 0) return national
  const merged = new Map(national)
  for (const day of regional) {
    if (national.get(day.date)?.kind === 'holiday') continue
    merged.set(day.date, { kind: 'holiday', name: day.name, regional: true })
  }
  return merged
}

const publishedYears = new WeakMap<Calendar, number | null>()

/**
 * The last year whose national schedule is in the calendar (a county's own days do not publish a
 * year), or null when none is. Each year's notice lists New Year's Day, so its year is present.
 */
export function lastPublishedYear(calendar: Calendar): number | null {
  if (publishedYears.has(calendar)) return publishedYears.get(calendar)!
  let last: number | null = null
  for (const [date, override] of calendar) {
    if (override.regional) continue
    const year = Number(date.slice(0, 4))
    if (last === null || year > last) last = year
  }
  publishedYears.set(calendar, last)
  return last
}

/**
 * A due date is provisional (暂定) when it falls after the last year whose holidays are published:
 * it was counted with weekends only there, and moves when that year's schedule is entered.
 */
export function isProvisional(date: string | null | undefined, lastYear: number | null): boolean {
  if (!date || !DATE_PATTERN.test(date)) return false
  return lastYear === null || Number(date.slice(0, 4)) > lastYear
}
