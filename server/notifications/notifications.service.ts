import type { Db } from '../db/connect.ts'

export interface NotificationInput {
  countyId: number
  /** A locale key under notifications.kinds, e.g. deadline.overdue. */
  kind: string
  caseId: string | null
  params: Record<string, unknown>
  /** When it was written: the step's own time (the demo's history replays steps of past days). */
  at?: Date
}

/** Puts one message in each recipient's inbox; call it inside the transaction that caused it. */
export async function notify(db: Db, userIds: number[], input: NotificationInput): Promise<void> {
  if (userIds.length === 0) return
  await db
    .insertInto('notifications')
    .values(userIds.map((userId) => ({ userId, countyId: input.countyId, kind: input.kind, caseId: input.caseId, params: JSON.stringify(input.params), ...(input.at ? { createdAt: input.at } : {}) })))
    .execute()
}

/** Who supervises a town's work: its own supervisors and the county's (a supervisor without a town). */
export async function supervisorIdsOf(db: Db, countyId: number, townId: number): Promise<number[]> {
  const rows = await db
    .selectFrom('users')
    .select('id')
    .where('disabled', '=', false)
    .where('role', '=', 'supervisor')
    .where('countyId', '=', countyId)
    .where((eb) => eb.or([eb('townId', '=', townId), eb('townId', 'is', null)]))
    .execute()
  return rows.map((u) => u.id)
}

/**
 * Where a message leads: its case, the rectification it is about, or the page that fixes what it
 * reports. Every message of the collaboration loop names something to do; this is where to do it.
 */
export function messageLink(n: { kind: string; caseId: string | null; params: unknown }): string | null {
  if (n.caseId) return `/cases/${n.caseId}`
  const params = (n.params ?? {}) as { id?: unknown }
  if (n.kind.startsWith('rectification.') && params.id !== undefined) return `/rectifications/${Number(params.id)}`
  if (n.kind === 'calendar.missing') return '/admin/calendar'
  return null
}
