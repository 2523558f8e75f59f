import type { Db } from '../db/connect.ts'
import { findActor } from '../accounts/users.repository.ts'
import { recordAccess } from '../privacy/access-log.ts'
import { formatLocalDate } from '../calendar/local-time.ts'
import { addCalendarDays } from '../calendar/working-days.ts'
import { instantOf } from './history.ts'

/**
 * A few days of the record of who saw whose personal data, so the person files' access history,
 * the villagers' access reports and the unusual-access page show what they are for: the agent and
 * the window clerk looking at the people of their own cases, a supervisor exporting the ledger and,
 * one afternoon, revealing the phones of two dozen people of the town.
 */
export async function seedDemoAccess(db: Db, countyId: number, now: Date, timeZone: string): Promise<number> {
  const user = async (username: string) => {
    const row = await db.selectFrom('users').select('id').where('countyId', '=', countyId).where('username', '=', username).executeTakeFirst()
    return row ? findActor(db, row.id) : undefined
  }
  const [agent, clerk, supervisor] = await Promise.all([user('jp01.a'), user('jp.mz'), user('jp.sup')])
  if (!agent || !clerk || !supervisor) return 0
  const today = formatLocalDate(now, timeZone)
  /** `days` days ago at hh:mm local time. */
  const at = (days: number, hour: number, minute: number) => instantOf(addCalendarDays(today, -days), hour * 60 + minute, timeZone)
  let written = 0

  // The people of their own cases: the agent from the case page, and one report printed on request.
  const ownCases = (where: 'agentId' | 'windowId', id: number) =>
    db
      .selectFrom('cases')
      .innerJoin('applicants', 'applicants.id', 'cases.applicantId')
      .select(['cases.id', 'cases.applicantId'])
      .where(`cases.${where}`, '=', id)
      .where('applicants.idNumberSealed', 'is not', null)
      .orderBy('cases.id', 'desc')
      .limit(3)
      .execute()
  const agentCases = await ownCases('agentId', agent.id)
  for (const [i, c] of agentCases.entries()) {
    await recordAccess(db, agent, { kind: 'reveal', applicantId: c.applicantId, field: i === 0 ? 'id_number' : 'phone', page: `/cases/${c.id}` }, at(2, 9, 20 + i * 7))
    written++
  }
  if (agentCases[0]) {
    const id = agentCases[0].applicantId
    await recordAccess(db, agent, { kind: 'report', applicantId: id, page: `/applicants/${id}/access-report` }, at(1, 9, 30))
    written++
  }
  for (const [i, c] of (await ownCases('windowId', clerk.windowId!)).slice(0, 2).entries()) {
    await recordAccess(db, clerk, { kind: 'reveal', applicantId: c.applicantId, field: 'phone', page: `/cases/${c.id}` }, at(1, 10, 5 + i * 12))
    written++
  }

  // The town supervisor's ledger export.
  const town = await db.selectFrom('cases').select(['applicantId']).where('townId', '=', supervisor.townId!).orderBy('id', 'desc').limit(40).execute()
  await recordAccess(db, supervisor, { kind: 'export', exportName: 'ledger.xlsx', page: '/ledger.xlsx', rowCount: town.length, applicantIds: town.map((r) => r.applicantId) }, at(1, 16, 40))
  written++

  // And an afternoon: 24 people of the town, person file after person file.
  const people = await db
    .selectFrom('applicants')
    .innerJoin('villages', 'villages.id', 'applicants.villageId')
    .select('applicants.id')
    .where('villages.townId', '=', supervisor.townId!)
    .orderBy('applicants.id')
    .limit(24)
    .execute()
  for (const [i, p] of people.entries()) {
    await recordAccess(db, supervisor, { kind: 'reveal', applicantId: p.id, field: 'phone', page: `/applicants/${p.id}` }, at(3, 14, 2 + i * 4))
    written++
  }
  return written
}
