import { sql } from 'kysely'
import type { Db } from '../db/connect.ts'
import type { Calendar } from '../calendar/working-days.ts'
import { addCalendarDays } from '../calendar/working-days.ts'
import { RuleViolation } from '../errors/errors.ts'
import { DEFAULT_CASE_SETTINGS } from '../cases/actions/action.ts'
import { actionNamed, type SystemAction } from '../cases/actions/registry.ts'
import { WINDOW_STAGES } from '../cases/case-rules.ts'
import { applyTransition, systemOf, type TransitionEnv } from '../cases/transition.ts'
import { notify } from '../notifications/notifications.service.ts'
import { nextYearScheduleMissing } from '../calendar/calendar.service.ts'
import { monthBounds, monthlyStats, totalsOf } from '../supervision/stats.ts'

/** Each case is its own transaction: a crash leaves no half-written case and the next run completes the rest. */
async function transitionEach(db: Db, cases: readonly { id: string; countyId: number }[], action: SystemAction, input: Record<string, unknown>, env: TransitionEnv): Promise<number> {
  let n = 0
  for (const c of cases) {
    try {
      await db.transaction().execute((trx) => applyTransition(trx, systemOf(c.countyId), c.id, null, actionNamed(action), input, env))
      n++
    } catch (error) {
      // A user took a step on the case since it was read: the job leaves it alone.
      if (error instanceof RuleViolation) continue
      throw error
    }
  }
  return n
}

/**
 * 超时默许: a silence-is-consent case whose completion limit passed without a decision (and no posting
 * or objection open) is completed as approved; the agent is told to reply. The query only finds the
 * candidates; the action's guard decides (actions/deemed-approval.ts).
 */
export async function applyDeemedApprovals(db: Db, calendar: Calendar, today: string, now: Date): Promise<number> {
  const due = await db
    .selectFrom('cases')
    .innerJoin('matterVersions', 'matterVersions.id', 'cases.matterVersionId')
    .select(['cases.id', 'cases.countyId'])
    .where('cases.stage', 'in', WINDOW_STAGES)
    .where('matterVersions.silenceConsent', '=', true)
    .where('cases.pausedSince', 'is', null)
    .where('cases.completeDue', '<', today)
    .orderBy('cases.id')
    .execute()
  return transitionEach(db, due, 'deemed_approved', {}, { today, now, calendar, settings: DEFAULT_CASE_SETTINGS })
}

/** Replied but unrated: a reminder after a few days; later the configured default rating, or none, and the case closes. */
export async function followUpUnrated(db: Db, calendar: Calendar, today: string, now: Date, options: { reminderDays: number; closeDays: number; defaultRating: 'satisfied' | 'basic' | null }): Promise<number> {
  const remindBefore = addCalendarDays(today, -options.reminderDays)
  const toRemind = await db
    .selectFrom('cases')
    .select(['id', 'countyId', 'agentId', 'caseNo'])
    .where('stage', '=', 'replied')
    .where('repliedOn', '<=', remindBefore)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('notifications').select('id').whereRef('notifications.caseId', '=', 'cases.id').where('notifications.kind', '=', 'rating.reminder'))))
    .execute()
  for (const c of toRemind) await notify(db, [c.agentId], { countyId: c.countyId, kind: 'rating.reminder', caseId: c.id, params: { caseNo: c.caseNo } })
  const closeBefore = addCalendarDays(today, -options.closeDays)
  const toClose = await db.selectFrom('cases').select(['id', 'countyId']).where('stage', '=', 'replied').where('repliedOn', '<=', closeBefore).orderBy('id').execute()
  const closed = await transitionEach(db, toClose, 'close_unrated', { defaultRating: options.defaultRating ?? '' }, { today, now, calendar, settings: DEFAULT_CASE_SETTINGS })
  return toRemind.length + closed
}

/** On the 1st: the previous month's statistics of each county, kept as computed. */
export async function snapshotMonthlyStats(db: Db, today: string, timeZone: string): Promise<number> {
  const month = monthBounds(today.slice(0, 7)).previous
  const counties = await db.selectFrom('counties').select('id').execute()
  let n = 0
  for (const { id } of counties) {
    const stats = await monthlyStats(db, id, { kind: 'county', countyId: id }, month, timeZone)
    const data = { total: totalsOf(stats.detail, [...stats.visitsByVillage.values()]), detail: stats.detail }
    const result = await db.insertInto('monthlyStats').values({ countyId: id, month, data: JSON.stringify(data) }).onConflict((oc) => oc.columns(['countyId', 'month']).doNothing()).executeTakeFirst()
    n += Number(result.numInsertedOrUpdatedRows ?? 0n)
  }
  return n
}

/** From 1 November: each administrator is told once that next year's holiday schedule is missing. */
export async function remindCalendar(db: Db, today: string): Promise<number> {
  const year = await nextYearScheduleMissing(db, today)
  if (!year) return 0
  const admins = await db
    .selectFrom('users')
    .select(['id', 'countyId'])
    .where('role', '=', 'admin')
    .where('disabled', '=', false)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('notifications').select('id').whereRef('notifications.userId', '=', 'users.id').where('notifications.kind', '=', 'calendar.missing').where(sql`params->>'year'`, '=', String(year)))))
    .execute()
  for (const a of admins) await notify(db, [a.id], { countyId: a.countyId, kind: 'calendar.missing', caseId: null, params: { year } })
  return admins.length
}
