import type { Db } from '../db/connect.ts'
import { lastPublishedYear, withRegionalHolidays, type Calendar, type CalendarOverride } from './working-days.ts'

// The calendar is small and read on every deadline: it is kept here and read again only when the
// calendar version (one row, raised by a trigger on every change, migration 2026_12_06_003) moved,
// so an edit on another instance counts at once, from the first load after it committed.
let cached: { version: string; calendar: Calendar; db: Db } | null = null
const countyCache = new Map<number, { calendar: Calendar; national: Calendar; db: Db }>()
// The last published year of the schedule most recently read: printed documents and the due badge
// mark later dates 暂定 through a template helper, which cannot query. Undefined until first read.
let knownLastYear: number | null | undefined

/** Read before the days: days read after it are at least as new, so they are never kept under a newer number. */
async function readVersion(db: Db): Promise<string> {
  const row = await db.selectFrom('calendarVersion').select('version').executeTakeFirst()
  return row?.version ?? '0'
}

async function readNational(db: Db): Promise<Calendar> {
  const rows = await db.selectFrom('calendarDays').select(['date', 'kind', 'name']).execute()
  return new Map<string, CalendarOverride>(rows.map((r) => [r.date, { kind: r.kind, name: r.name }]))
}

/** A county's standing days off of its own (removed ones excluded), by date. */
export function listRegionalHolidays(db: Db, countyId: number) {
  return db.selectFrom('regionalHolidays').select(['id', 'date', 'name', 'addedBy', 'addedAt']).where('countyId', '=', countyId).where('removedAt', 'is', null).orderBy('date').execute()
}

/**
 * The working-day calendar: the national schedule, and with a county its own statutory days off
 * on top. Every computation for a county's cases passes its county.
 */
export async function loadCalendar(db: Db, countyId?: number): Promise<Calendar> {
  const version = await readVersion(db)
  let national: Calendar
  if (cached && cached.db === db && cached.version === version) national = cached.calendar
  else {
    national = await readNational(db)
    cached = { version, calendar: national, db }
    knownLastYear = lastPublishedYear(national)
  }
  if (countyId === undefined) return national
  // A county's days off raise the same version: a kept county calendar is current when it was built on the current national one.
  const hit = countyCache.get(countyId)
  if (hit && hit.db === db && hit.national === national) return hit.calendar
  const calendar = withRegionalHolidays(national, await listRegionalHolidays(db, countyId))
  countyCache.set(countyId, { calendar, national, db })
  return calendar
}

/** The calendars of the given counties as this transaction sees them, uncached and unremembered (a change being made may roll back). */
export async function readCountyCalendars(db: Db, countyIds: readonly number[]): Promise<Map<number, Calendar>> {
  const national = await readNational(db)
  const rows = countyIds.length === 0 ? [] : await db.selectFrom('regionalHolidays').select(['countyId', 'date', 'name']).where('countyId', 'in', countyIds).where('removedAt', 'is', null).execute()
  return new Map(countyIds.map((id) => [id, withRegionalHolidays(national, rows.filter((r) => r.countyId === id))]))
}

export function forgetCachedCalendar(): void {
  cached = null
  countyCache.clear()
}

/** The last year of the national schedule as last read here; undefined before any read. */
export function knownLastPublishedYear(): number | null | undefined {
  return knownLastYear
}

export function listDaysBetween(db: Db, from: string, to: string) {
  return db.selectFrom('calendarDays').selectAll().where('date', '>=', from).where('date', '<=', to).orderBy('date').execute()
}

export async function countDaysInYear(db: Db, year: number): Promise<number> {
  const row = await db
    .selectFrom('calendarDays')
    .select((eb) => eb.fn.countAll<string>().as('n'))
    .where('date', '>=', `${year}-01-01`)
    .where('date', '<=', `${year}-12-31`)
    .executeTakeFirstOrThrow()
  return Number(row.n)
}
