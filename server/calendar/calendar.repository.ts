import type { Db } from '../db/connect.ts'
import type { Calendar, CalendarOverride } from './working-days.ts'

// The calendar is small and read on every deadline; it is cached briefly and dropped on every edit here.
// Another instance's edit is seen within CACHE_MS.
const CACHE_MS = 30_000
let cached: { at: number; calendar: Calendar; db: Db } | null = null

export async function loadCalendar(db: Db): Promise<Calendar> {
  if (cached && cached.db === db && Date.now() - cached.at < CACHE_MS) return cached.calendar
  const rows = await db.selectFrom('calendarDays').select(['date', 'kind', 'name']).execute()
  const calendar = new Map<string, CalendarOverride>(rows.map((r) => [r.date, { kind: r.kind, name: r.name }]))
  cached = { at: Date.now(), calendar, db }
  return calendar
}

export function forgetCachedCalendar(): void {
  cached = null
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
