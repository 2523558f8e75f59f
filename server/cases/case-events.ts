import type { Db } from '../db/connect.ts'
import type { Stage } from '../db/schema.ts'
import { caseEventContent, chainHash, lockChainHead } from '../ledger/chain.ts'

/** Who wrote an event: a signed-in user, or a job acting as { id: null, role: 'system' }. */
export interface EventActor {
  id: number | null
  role: string
  countyId: number
}

/** The system as an actor, for the jobs: its events carry no user id. */
export const systemActor = (countyId: number): EventActor => ({ id: null, role: 'system', countyId })

/** Appends the case's event to its station's hash chain (see ledger/chain.ts). */
export async function appendEvent(
  db: Db,
  actor: EventActor,
  caseRef: { id: string; villageId: number },
  action: string,
  from: Stage | null,
  to: Stage,
  note: string,
  data: Record<string, unknown>,
  at: Date,
) {
  const prevHash = await lockChainHead(db, 'case_events', caseRef.villageId)
  const event = { countyId: actor.countyId, caseId: caseRef.id, villageId: caseRef.villageId, actorId: actor.id, actorRole: actor.role, action, fromStage: from, toStage: to, note, data, at }
  await db
    .insertInto('caseEvents')
    .values({ ...event, data: JSON.stringify(data), prevHash, hash: chainHash(prevHash, caseEventContent(event)) })
    .execute()
}
