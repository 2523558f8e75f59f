import { Ajv } from 'ajv'
import { sql } from 'kysely'
import type { Db } from '../db/connect.ts'
import type { Actor } from '../accounts/actor.ts'
import { RuleViolation } from '../errors/errors.ts'
import { recordAudit } from '../audit/audit.ts'
import { countDaysInYear, forgetCachedCalendar } from './calendar.repository.ts'
import { isValidDate, isWeekend } from './working-days.ts'

export type DaySetting = 'holiday' | 'workday' | 'default'

/**
 * The holiday and make-up-workday schedule is the State Council's, the same for every county, so
 * an installation keeps one. Where it serves several counties, no county's administrator may move
 * the others' due dates: the operator imports it (`npm run admin -- import-calendar`).
 */
async function requireCalendarEditableBy(db: Db, actor: Actor | null): Promise<void> {
  if (!actor) return
  const { n } = await db.selectFrom('counties').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
  if (Number(n) > 1) throw new RuleViolation('calendar.sharedByCounties')
}

/**
 * Sets one date: a holiday, a make-up working day, or back to the weekday rule.
 * Every change is kept in calendar_changes, since it moves due dates.
 */
export async function setCalendarDay(db: Db, actor: Actor, date: string, setting: DaySetting, name: string): Promise<void> {
  if (!isValidDate(date)) throw new RuleViolation('validation.date', 'date')
  if (setting !== 'default' && !name.trim()) throw new RuleViolation('calendar.nameRequired', 'name')
  await requireCalendarEditableBy(db, actor)
  await db.transaction().execute(async (trx) => {
    const old = await trx.selectFrom('calendarDays').select('kind').where('date', '=', date).forUpdate().executeTakeFirst()
    if (setting === 'default') {
      await trx.deleteFrom('calendarDays').where('date', '=', date).execute()
    } else {
      await trx
        .insertInto('calendarDays')
        .values({ date, kind: setting, name: name.trim(), updatedBy: actor.id })
        .onConflict((oc) => oc.column('date').doUpdateSet({ kind: setting, name: name.trim(), updatedBy: actor.id, updatedAt: sql`now()` as never }))
        .execute()
    }
    await trx.insertInto('calendarChanges').values({ date, oldKind: old?.kind ?? null, newKind: setting === 'default' ? null : setting, name: name.trim(), actorId: actor.id }).execute()
  })
  forgetCachedCalendar()
}

/** The format of data/cn-calendar.json: one year's blocks of holidays and make-up working days. */
export const calendarYearSchema = {
  $id: 'https://bianmin.example/schemas/calendar-year.json',
  type: 'object',
  required: ['blocks'],
  additionalProperties: false,
  properties: {
    source: { type: 'string', maxLength: 200 },
    blocks: {
      type: 'array',
      minItems: 1,
      maxItems: 40,
      items: {
        type: 'object',
        required: ['name', 'holidays', 'workdays'],
        additionalProperties: false,
        properties: {
          name: { type: 'string', minLength: 1, maxLength: 50 },
          holidays: { type: 'array', maxItems: 30, items: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } },
          workdays: { type: 'array', maxItems: 10, items: { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$' } },
        },
      },
    },
  },
} as const

const ajv = new Ajv({ allErrors: true })
const validateYear = ajv.compile(calendarYearSchema)

export interface ImportProblem {
  path: string
  message: string
}

interface YearFile {
  source?: string
  blocks: { name: string; holidays: string[]; workdays: string[] }[]
}

/** Checks a year's schedule fully before anything is written; returns every problem found. */
export function checkCalendarYear(year: number, data: unknown): ImportProblem[] {
  if (!validateYear(data)) {
    return (validateYear.errors ?? []).map((e) => ({ path: e.instancePath || '/', message: e.message ?? 'invalid' }))
  }
  const problems: ImportProblem[] = []
  const file = data as YearFile
  const seen = new Map<string, string>()
  // Dates of a year's notice fall in that year, or in the December before it (make-up days before New Year).
  const earliest = `${year - 1}-12-01`
  const latest = `${year}-12-31`
  file.blocks.forEach((block, b) => {
    for (const [list, kind] of [
      [block.holidays, 'holidays'],
      [block.workdays, 'workdays'],
    ] as const) {
      list.forEach((date, i) => {
        const path = `/blocks/${b}/${kind}/${i}`
        if (!isValidDate(date)) problems.push({ path, message: `${date} is not a real date` })
        else if (date < earliest || date > latest) problems.push({ path, message: `${date} is outside ${year}` })
        else if (seen.has(date)) problems.push({ path, message: `${date} appears twice (also at ${seen.get(date)})` })
        else if (kind === 'workdays' && !isWeekend(date)) problems.push({ path, message: `${date} is a weekday; make-up working days fall on weekends` })
        seen.set(date, path)
      })
    }
  })
  return problems
}

/** Replaces one year's schedule with the given one, all or nothing. `actor` null: the operator's command line. */
export async function importCalendarYear(db: Db, actor: Actor | null, year: number, data: unknown): Promise<number> {
  const problems = checkCalendarYear(year, data)
  if (problems.length > 0) throw new CalendarImportRefused(problems)
  await requireCalendarEditableBy(db, actor)
  const file = data as YearFile
  const rows = file.blocks.flatMap((block) => [
    ...block.holidays.map((date) => ({ date, kind: 'holiday' as const, name: block.name })),
    ...block.workdays.map((date) => ({ date, kind: 'workday' as const, name: `${block.name}调休上班` })),
  ])
  await db.transaction().execute(async (trx) => {
    const old = await trx.selectFrom('calendarDays').select(['date', 'kind']).where('date', '>=', `${year}-01-01`).where('date', '<=', `${year}-12-31`).execute()
    await trx.deleteFrom('calendarDays').where('date', '>=', `${year}-01-01`).where('date', '<=', `${year}-12-31`).execute()
    await trx
      .insertInto('calendarDays')
      .values(rows.map((r) => ({ ...r, source: file.source ?? '', updatedBy: actor?.id ?? null })))
      .onConflict((oc) => oc.column('date').doUpdateSet((eb) => ({ kind: eb.ref('excluded.kind'), name: eb.ref('excluded.name'), source: eb.ref('excluded.source') })))
      .execute()
    const oldKinds = new Map(old.map((o) => [o.date, o.kind]))
    await trx
      .insertInto('calendarChanges')
      .values(rows.map((r) => ({ date: r.date, oldKind: oldKinds.get(r.date) ?? null, newKind: r.kind, name: r.name, actorId: actor?.id ?? null })))
      .execute()
    if (actor) await recordAudit(trx, { countyId: actor.countyId, actorId: actor.id, action: 'calendar.imported', subjectType: 'calendar', subjectId: year, data: { days: rows.length, source: file.source ?? '' } })
  })
  forgetCachedCalendar()
  return rows.length
}

export class CalendarImportRefused extends Error {
  constructor(readonly problems: ImportProblem[]) {
    super('calendar import refused')
  }
}

/**
 * From 1 November the administrators are reminded to enter next year's schedule until they do;
 * the State Council publishes it around then.
 */
export async function nextYearScheduleMissing(db: Db, today: string): Promise<number | null> {
  const [year, month] = today.split('-').map(Number)
  if (month < 11) return null
  const next = year + 1
  return (await countDaysInYear(db, next)) === 0 ? next : null
}
