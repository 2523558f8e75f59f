import { sql } from 'kysely'
import type { Db } from '../db/connect.ts'
import type { Calendar } from '../calendar/working-days.ts'
import { addCalendarDays } from '../calendar/working-days.ts'
import { appendEvent } from '../cases/case-events.ts'
import { replyDue } from '../cases/case-deadlines.ts'
import { notify } from '../notifications/notifications.service.ts'
import { enqueueCaseSms } from '../sms/outbox.ts'
import { nextYearScheduleMissing } from '../calendar/calendar.service.ts'
import { monthBounds, monthlyStats, totalsOf } from '../supervision/stats.ts'

const SYSTEM = (countyId: number) => ({ id: null, role: 'system', countyId })

/**
 * 超时默许: a silence-is-consent case whose completion limit passed without a decision (and no posting
 * or objection open) is completed as approved; the agent is told to reply.
 */
export async function applyDeemedApprovals(db: Db, calendar: Calendar, today: string, now: Date): Promise<number> {
  const due = await db
    .selectFrom('cases')
    .innerJoin('matterVersions', 'matterVersions.id', 'cases.matterVersionId')
    .select(['cases.id', 'cases.countyId', 'cases.villageId', 'cases.stage', 'cases.agentId', 'cases.caseNo', 'matterVersions.replyLimit', 'matterVersions.forwardLimit', 'matterVersions.promisedLimit', 'matterVersions.limitUnit'])
    .where('cases.stage', 'in', ['forwarded', 'in_progress'])
    .where('matterVersions.silenceConsent', '=', true)
    .where('cases.pausedSince', 'is', null)
    .where('cases.completeDue', '<', today)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('notices').select('id').whereRef('notices.caseId', '=', 'cases.id').where('notices.kind', '=', 'posting').where('notices.status', '=', 'published').where('notices.postingClosedOn', 'is', null))))
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('postingObjections').select('id').whereRef('postingObjections.caseId', '=', 'cases.id').where('postingObjections.outcome', 'is', null))))
    .execute()
  let n = 0
  for (const c of due) {
    await db.transaction().execute(async (trx) => {
      const reply = replyDue(calendar, today, c)
      const result = await trx
        .updateTable('cases')
        .set({ stage: 'completed', outcome: 'approved', deemedApproved: true, completedOn: today, replyDue: reply, dueOn: reply, dueLimit: c.replyLimit, version: sql`version + 1` as never, updatedAt: now as never })
        .where('id', '=', c.id)
        .where('stage', '=', c.stage)
        .executeTakeFirst()
      if (result.numUpdatedRows !== 1n) return
      await appendEvent(trx, SYSTEM(c.countyId), { id: c.id, villageId: c.villageId }, 'deemed_approved', c.stage, 'completed', '', { deemed: true }, now)
      await notify(trx, [c.agentId], { countyId: c.countyId, kind: 'case.deemed_approved', caseId: c.id, params: { caseNo: c.caseNo } })
      await enqueueCaseSms(trx, c.id, 'result-ready', {}, now)
      n++
    })
  }
  return n
}

/** Replied but unrated: a reminder after a few days; later the configured default rating, or none, and the case closes. */
export async function followUpUnrated(db: Db, today: string, now: Date, options: { reminderDays: number; closeDays: number; defaultRating: 'satisfied' | 'basic' | null }): Promise<number> {
  let n = 0
  const remindBefore = addCalendarDays(today, -options.reminderDays)
  const toRemind = await db
    .selectFrom('cases')
    .select(['id', 'countyId', 'agentId', 'caseNo'])
    .where('stage', '=', 'replied')
    .where('repliedOn', '<=', remindBefore)
    .where(({ not, exists, selectFrom }) => not(exists(selectFrom('notifications').select('id').whereRef('notifications.caseId', '=', 'cases.id').where('notifications.kind', '=', 'rating.reminder'))))
    .execute()
  for (const c of toRemind) {
    await notify(db, [c.agentId], { countyId: c.countyId, kind: 'rating.reminder', caseId: c.id, params: { caseNo: c.caseNo } })
    n++
  }
  const closeBefore = addCalendarDays(today, -options.closeDays)
  const toClose = await db.selectFrom('cases').select(['id', 'countyId', 'villageId']).where('stage', '=', 'replied').where('repliedOn', '<=', closeBefore).execute()
  for (const c of toClose) {
    await db.transaction().execute(async (trx) => {
      const rating = options.defaultRating
      const result = await trx
        .updateTable('cases')
        .set({ stage: 'closed', closedOn: today, rating, version: sql`version + 1` as never, updatedAt: now as never })
        .where('id', '=', c.id)
        .where('stage', '=', 'replied')
        .executeTakeFirst()
      if (result.numUpdatedRows !== 1n) return
      if (rating) {
        await trx.insertInto('caseRatings').values({ caseId: c.id, countyId: c.countyId, overall: rating, efficiency: 4, competence: 4, attitude: 4, satisfaction: 4, comment: '', recordedBy: null, recordedAt: now, byDefault: true }).execute()
      }
      await appendEvent(trx, SYSTEM(c.countyId), { id: c.id, villageId: c.villageId }, rating ? 'rated_by_default' : 'closed_unrated', 'replied', 'closed', '', { rating }, now)
      n++
    })
  }
  return n
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
