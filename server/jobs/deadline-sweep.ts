import type { Db } from '../db/connect.ts'
import type { Calendar } from '../calendar/working-days.ts'
import { computeDueDate } from '../calendar/working-days.ts'
import { dueKindOf, stageStatus } from '../cases/case-deadlines.ts'
import { isOnTheSpot, SWEPT_STAGES } from '../cases/case-rules.ts'
import { RuleViolation } from '../errors/errors.ts'
import { DEFAULT_CASE_SETTINGS } from '../cases/actions/action.ts'
import { deadlineAlert } from '../cases/actions/deadline-alert.ts'
import { AlreadyRecorded } from '../cases/effects.ts'
import { applyTransition, systemOf } from '../cases/transition.ts'

/**
 * The deadline sweep: for every open stage that is due soon or late, one event and one set of
 * notifications per (case, deadline, level) — whatever the number of runs. Each case is its own
 * transaction, so a crash leaves no half-written case and the next run completes the rest.
 * Only open cases due by the next working day are read, through the partial index on due_on.
 */
export async function sweepDeadlines(db: Db, calendar: Calendar, today: string, now: Date): Promise<number> {
  const horizon = computeDueDate(calendar, today, 1).due
  const candidates = await db
    .selectFrom('cases')
    .innerJoin('matterVersions', 'matterVersions.id', 'cases.matterVersionId')
    .select(['cases.id', 'cases.countyId', 'cases.stage', 'cases.dueOn', 'cases.dueLimit', 'cases.serviceForm', 'matterVersions.caseType'])
    .where('cases.stage', 'in', SWEPT_STAGES)
    .where('cases.dueOn', '<=', horizon)
    .orderBy('cases.id')
    .execute()
  const due = candidates
    .map((c) => ({ c, level: stageStatus(calendar, c.dueOn!, c.dueLimit ?? 0, today), kind: dueKindOf(c.stage, isOnTheSpot(c.caseType, c.serviceForm))! }))
    .filter((x): x is typeof x & { level: Exclude<typeof x.level, 'on_time'> } => x.level !== 'on_time')
  // Most runs find every alert already written: one query tells which, instead of one per case.
  const done = new Set<string>()
  const alertKey = (caseId: string, kind: string, dueOn: string, level: string) => `${caseId}|${kind}|${dueOn}|${level}`
  for (let i = 0; i < due.length; i += 5000) {
    const ids = due.slice(i, i + 5000).map((x) => x.c.id)
    const rows = await db.selectFrom('caseAlerts').select(['caseId', 'dueKind', 'dueOn', 'level']).where('caseId', 'in', ids).execute()
    for (const a of rows) done.add(alertKey(a.caseId, a.dueKind, a.dueOn, a.level))
  }
  // Who is told is looked up once per window and town for the whole run, not once per case.
  const env = { today, now, calendar, settings: DEFAULT_CASE_SETTINGS, memo: new Map() }
  let written = 0
  for (const { c, level, kind } of due) {
    if (done.has(alertKey(c.id, kind, c.dueOn!, level))) continue
    try {
      await db.transaction().execute((trx) => applyTransition(trx, systemOf(c.countyId), c.id, null, deadlineAlert, { level, dueKind: kind, dueOn: c.dueOn }, env))
      written++
    } catch (error) {
      // Another run wrote this alert first, or the case moved on since it was read.
      if (error instanceof AlreadyRecorded || error instanceof RuleViolation) continue
      throw error
    }
  }
  return written
}
