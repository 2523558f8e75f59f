import type { Db } from '../db/connect.ts'
import type { Calendar } from '../calendar/working-days.ts'
import { computeDueDate } from '../calendar/working-days.ts'
import { dueKindOf, stageStatus } from '../cases/case-deadlines.ts'
import { holderOf, isOnTheSpot, SWEPT_STAGES } from '../cases/case-rules.ts'
import { appendEvent, systemActor } from '../cases/case-events.ts'
import { notify } from '../notifications/notifications.service.ts'

/**
 * The deadline sweep: for every open stage that is due soon or late, one event and one set of
 * notifications per (case, deadline, level) — whatever the number of runs. Each case is its own
 * transaction, so a crash leaves no half-written case and the next run completes the rest.
 * Only open cases due by the next working day are read, through the partial index on due_on.
 */
export async function sweepDeadlines(db: Db, calendar: Calendar, today: string, now: Date = new Date()): Promise<number> {
  const horizon = computeDueDate(calendar, today, 1).due
  const candidates = await db
    .selectFrom('cases')
    .innerJoin('matterVersions', 'matterVersions.id', 'cases.matterVersionId')
    .select(['cases.id', 'cases.countyId', 'cases.townId', 'cases.villageId', 'cases.stage', 'cases.dueOn', 'cases.dueLimit', 'cases.agentId', 'cases.windowId', 'cases.caseNo', 'cases.serviceForm', 'matterVersions.caseType'])
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
  // Who is told, looked up once per window and town for the whole run, not once per case (read
  // through the case's transaction: the job may run on a single connection).
  const lookedUp = new Map<string, Promise<{ id: number }[]>>()
  const once = (key: string, load: () => Promise<{ id: number }[]>) => lookedUp.get(key) ?? lookedUp.set(key, load()).get(key)!
  const windowStaff = (trx: Db, windowId: number | null) =>
    windowId === null ? Promise.resolve([]) : once(`window:${windowId}`, () => trx.selectFrom('users').select('id').where('windowId', '=', windowId).where('disabled', '=', false).execute())
  const supervisorsOf = (trx: Db, countyId: number, townId: number) =>
    once(`town:${countyId}:${townId}`, () =>
      trx
        .selectFrom('users')
        .select('id')
        .where('role', '=', 'supervisor')
        .where('countyId', '=', countyId)
        .where((eb) => eb.or([eb('townId', '=', townId), eb('townId', 'is', null)]))
        .where('disabled', '=', false)
        .execute(),
    )
  let written = 0
  for (const { c, level, kind } of due) {
    if (done.has(alertKey(c.id, kind, c.dueOn!, level))) continue
    const wrote = await db.transaction().execute(async (trx) => {
      const inserted = await trx
        .insertInto('caseAlerts')
        .values({ caseId: c.id, dueKind: kind, dueOn: c.dueOn!, level })
        .onConflict((oc) => oc.doNothing())
        .returning('caseId')
        .executeTakeFirst()
      if (!inserted) return false
      await appendEvent(trx, systemActor(c.countyId), { id: c.id, villageId: c.villageId }, level, c.stage, c.stage, '', { dueKind: kind, dueOn: c.dueOn }, now)
      // The one holding the case is told at due_soon and overdue; the supervisors at overdue and very_overdue.
      const holders = holderOf(c.stage) === 'window' ? await windowStaff(trx, c.windowId) : [{ id: c.agentId }]
      const supervisors = await supervisorsOf(trx, c.countyId, c.townId)
      const recipients = new Set<number>()
      if (level !== 'very_overdue') holders.forEach((u) => recipients.add(u.id))
      if (level !== 'due_soon') supervisors.forEach((u) => recipients.add(u.id))
      await notify(trx, [...recipients], { countyId: c.countyId, kind: `deadline.${level}`, caseId: c.id, params: { caseNo: c.caseNo, dueOn: c.dueOn, dueKind: kind } })
      return true
    })
    if (wrote) written++
  }
  return written
}
