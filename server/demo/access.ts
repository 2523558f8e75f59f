import type { Db } from '../db/connect.ts'
import { findActor } from '../accounts/users.repository.ts'
import { recordAccess } from '../privacy/access-log.ts'

const DAY = 86_400_000

/**
 * A week of the record of who saw whose personal data, so the person files' access history, the
 * villagers' access reports and the unusual-access page show what they are for: the agent looking
 * up the people of their own cases, a supervisor exporting the ledger, and a window clerk who
 * revealed the phones of two dozen people of the town in one afternoon, most of them not theirs.
 */
export async function seedDemoAccess(db: Db, countyId: number, now: Date): Promise<number> {
  const user = async (username: string) => {
    const row = await db.selectFrom('users').select('id').where('countyId', '=', countyId).where('username', '=', username).executeTakeFirst()
    return row ? findActor(db, row.id) : undefined
  }
  const [agent, clerk, supervisor] = await Promise.all([user('jp01.a'), user('jp.mz'), user('jp.sup')])
  if (!agent || !clerk || !supervisor) return 0
  const ago = (days: number, minutes: number) => new Date(now.getTime() - days * DAY + minutes * 60_000)
  let written = 0

  // The agent's own people: their files opened from the case page, one report printed on request.
  const own = await db
    .selectFrom('cases')
    .innerJoin('applicants', 'applicants.id', 'cases.applicantId')
    .select(['cases.id', 'cases.applicantId'])
    .where('cases.agentId', '=', agent.id)
    .where('applicants.idNumberSealed', 'is not', null)
    .orderBy('cases.id', 'desc')
    .limit(3)
    .execute()
  for (const [i, c] of own.entries()) {
    await recordAccess(db, agent, { kind: 'reveal', applicantId: c.applicantId, field: i === 0 ? 'id_number' : 'phone', page: `/cases/${c.id}` }, ago(2, i * 7))
    written++
  }
  if (own[0]) {
    await recordAccess(db, agent, { kind: 'report', applicantId: own[0].applicantId, page: `/applicants/${own[0].applicantId}/access-report` }, ago(1, 30))
    written++
  }

  // The town supervisor's monthly ledger export.
  const town = await db.selectFrom('cases').select(['applicantId']).where('townId', '=', supervisor.townId!).orderBy('id', 'desc').limit(40).execute()
  await recordAccess(db, supervisor, { kind: 'export', exportName: 'ledger.xlsx', page: '/ledger.xlsx', rowCount: town.length, applicantIds: town.map((r) => r.applicantId) }, ago(1, 0))
  written++

  // The clerk's afternoon: 24 people of the town, most with no case at the clerk's window.
  const people = await db
    .selectFrom('applicants')
    .innerJoin('villages', 'villages.id', 'applicants.villageId')
    .select('applicants.id')
    .where('villages.townId', '=', clerk.townId!)
    .orderBy('applicants.id')
    .limit(24)
    .execute()
  for (const [i, p] of people.entries()) {
    await recordAccess(db, clerk, { kind: 'reveal', applicantId: p.id, field: 'phone', page: `/applicants/${p.id}` }, ago(3, i * 4))
    written++
  }
  return written
}
