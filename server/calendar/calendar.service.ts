import { Ajv } from 'ajv'
import type { Db } from '../db/connect.ts'
import type { Actor } from '../accounts/actor.ts'
import { RuleViolation } from '../errors/errors.ts'
import { recordAudit } from '../audit/audit.ts'
import { countDaysInYear, forgetCachedCalendar, readCountyCalendars } from './calendar.repository.ts'
import { isValidDate, isWeekend, type Calendar } from './working-days.ts'
import { movedDueDates } from '../cases/case-deadlines.ts'
import { isOnTheSpot, SWEPT_STAGES } from '../cases/case-rules.ts'
import { DEFAULT_CASE_SETTINGS } from '../cases/actions/action.ts'
import { recomputeDue } from '../cases/actions/recompute-due.ts'
import { applyTransition, systemOf } from '../cases/transition.ts'
import { DEFAULT_TIME_ZONE, formatLocalDate } from './local-time.ts'

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
export async function setCalendarDay(db: Db, actor: Actor, date: string, setting: DaySetting, name: string, now: Date): Promise<number> {
  if (!isValidDate(date)) throw new RuleViolation('validation.date', 'date')
  if (setting !== 'default' && !name.trim()) throw new RuleViolation('calendar.nameRequired', 'name')
  await requireCalendarEditableBy(db, actor)
  const moved = await db.transaction().execute(async (trx) => {
    const before = await calendarsOfCounties(trx, null)
    const old = await trx.selectFrom('calendarDays').select('kind').where('date', '=', date).forUpdate().executeTakeFirst()
    if (setting === 'default') {
      await trx.deleteFrom('calendarDays').where('date', '=', date).execute()
    } else {
      await trx
        .insertInto('calendarDays')
        .values({ date, kind: setting, name: name.trim(), updatedBy: actor.id })
        .onConflict((oc) => oc.column('date').doUpdateSet({ kind: setting, name: name.trim(), updatedBy: actor.id, updatedAt: now }))
        .execute()
    }
    await trx.insertInto('calendarChanges').values({ date, oldKind: old?.kind ?? null, newKind: setting === 'default' ? null : setting, name: name.trim(), actorId: actor.id }).execute()
    return recomputeOpenCases(trx, actor, before, now)
  })
  forgetCachedCalendar()
  return moved
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

/**
 * Replaces one year's schedule with the given one, all or nothing, and moves the open cases' due
 * dates with it in the same transaction. `actor` null: the operator's command line.
 */
export async function importCalendarYear(db: Db, actor: Actor | null, year: number, data: unknown, now: Date): Promise<number> {
  const problems = checkCalendarYear(year, data)
  if (problems.length > 0) throw new CalendarImportRefused(problems)
  await requireCalendarEditableBy(db, actor)
  const file = data as YearFile
  const rows = file.blocks.flatMap((block) => [
    ...block.holidays.map((date) => ({ date, kind: 'holiday' as const, name: block.name })),
    ...block.workdays.map((date) => ({ date, kind: 'workday' as const, name: `${block.name}调休上班` })),
  ])
  await db.transaction().execute(async (trx) => {
    const before = await calendarsOfCounties(trx, null)
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
    const moved = await recomputeOpenCases(trx, actor, before, now)
    if (actor) await recordAudit(trx, { countyId: actor.countyId, actorId: actor.id, action: 'calendar.imported', subjectType: 'calendar', subjectId: year, data: { days: rows.length, source: file.source ?? '', casesMoved: moved } })
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

/** Every county's calendar (or one county's) as the transaction sees it now. */
async function calendarsOfCounties(trx: Db, countyId: number | null): Promise<Map<number, Calendar>> {
  const ids = countyId !== null ? [countyId] : (await trx.selectFrom('counties').select('id').execute()).map((c) => c.id)
  return readCountyCalendars(trx, ids)
}

/**
 * After a calendar change inside `trx`: every open case of the counties in `before` whose pending
 * due dates count differently now is rewritten (version + 1) with one 'due_recomputed' event by
 * the acting administrator (or the system, from the command line), and whoever holds it is told.
 * Cases whose dates do not move are not touched. Returns the number of cases moved.
 */
export async function recomputeOpenCases(trx: Db, actor: Actor | null, before: Map<number, Calendar>, now: Date): Promise<number> {
  const countyIds = [...before.keys()]
  if (countyIds.length === 0) return 0
  const after = await readCountyCalendars(trx, countyIds)
  // Locked for the rest of the transaction: a step taken on a case meanwhile waits, then sees the new dates.
  const cases = await trx
    .selectFrom('cases')
    .innerJoin('matterVersions', 'matterVersions.id', 'cases.matterVersionId')
    .select([
      'cases.id', 'cases.countyId', 'cases.villageId', 'cases.windowId', 'cases.agentId', 'cases.caseNo', 'cases.stage', 'cases.version', 'cases.serviceForm',
      'cases.registeredOn', 'cases.acceptedOn', 'cases.completedOn', 'cases.forwardDue', 'cases.completeDue', 'cases.replyDue', 'cases.dueOn', 'cases.pauses', 'cases.pausedSince',
      'matterVersions.caseType', 'matterVersions.forwardLimit', 'matterVersions.replyLimit', 'matterVersions.promisedLimit', 'matterVersions.limitUnit',
    ])
    .select(({ exists, selectFrom }) => exists(selectFrom('caseExtensions').select('caseExtensions.id').whereRef('caseExtensions.caseId', '=', 'cases.id').where('caseExtensions.status', '=', 'approved')).as('extended'))
    .where('cases.countyId', 'in', countyIds)
    .where('cases.stage', 'in', SWEPT_STAGES)
    .orderBy('cases.id')
    .forUpdate('cases')
    .execute()
  let moved = 0
  for (const c of cases) {
    const changes = movedDueDates(before.get(c.countyId)!, after.get(c.countyId)!, c, c, isOnTheSpot(c.caseType, c.serviceForm), Boolean(c.extended))
    if (Object.keys(changes).length === 0) continue
    // The administrator of the case's county acts; the command line (or another county's admin) acts as the system.
    const who = actor && actor.role === 'admin' && actor.countyId === c.countyId ? actor : systemOf(c.countyId)
    await applyTransition(trx, who, c.id, c.version, recomputeDue, changes, { today: formatLocalDate(now, DEFAULT_TIME_ZONE), now, calendar: after.get(c.countyId)!, settings: DEFAULT_CASE_SETTINGS })
    moved++
  }
  return moved
}

const REGIONAL_NAME_MAX = 50

/**
 * A county administrator adds one of the county's own statutory days off (e.g. 三月三); the
 * county's open cases count it from now on, in the same transaction.
 */
export async function addRegionalHoliday(db: Db, actor: Actor, date: string, name: string, now: Date): Promise<number> {
  const problems: RuleViolation[] = []
  if (!isValidDate(date)) problems.push(new RuleViolation('validation.date', 'date'))
  if (!name.trim()) problems.push(new RuleViolation('calendar.regionalNameRequired', 'name'))
  else if (name.trim().length > REGIONAL_NAME_MAX) problems.push(new RuleViolation('validation.maxLength', 'name', { limit: REGIONAL_NAME_MAX }))
  const refused = RuleViolation.all(problems)
  if (refused) throw refused
  return db.transaction().execute(async (trx) => {
    const taken = await trx.selectFrom('regionalHolidays').select('id').where('countyId', '=', actor.countyId).where('date', '=', date).where('removedAt', 'is', null).forUpdate().executeTakeFirst()
    if (taken) throw new RuleViolation('calendar.regionalTaken', 'date', { date })
    const before = await calendarsOfCounties(trx, actor.countyId)
    const { id } = await trx.insertInto('regionalHolidays').values({ countyId: actor.countyId, date, name: name.trim(), addedBy: actor.id, addedAt: now }).returning('id').executeTakeFirstOrThrow()
    const moved = await recomputeOpenCases(trx, actor, before, now)
    await recordAudit(trx, { countyId: actor.countyId, actorId: actor.id, action: 'calendar.regional_added', subjectType: 'regional_holiday', subjectId: id, data: { date, name: name.trim(), casesMoved: moved } })
    return moved
  }).finally(forgetCachedCalendar)
}

/** Removes a county's own day off: the row stays with who removed it and when; due dates move back. */
export async function removeRegionalHoliday(db: Db, actor: Actor, id: number, now: Date): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const day = await trx.selectFrom('regionalHolidays').select(['id', 'date', 'name']).where('id', '=', id).where('countyId', '=', actor.countyId).where('removedAt', 'is', null).forUpdate().executeTakeFirst()
    if (!day) throw new RuleViolation('calendar.regionalGone')
    const before = await calendarsOfCounties(trx, actor.countyId)
    await trx.updateTable('regionalHolidays').set({ removedAt: now.toISOString(), removedBy: actor.id }).where('id', '=', id).execute()
    const moved = await recomputeOpenCases(trx, actor, before, now)
    await recordAudit(trx, { countyId: actor.countyId, actorId: actor.id, action: 'calendar.regional_removed', subjectType: 'regional_holiday', subjectId: id, data: { date: day.date, name: day.name, casesMoved: moved } })
    return moved
  }).finally(forgetCachedCalendar)
}
