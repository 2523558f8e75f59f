import type { Db } from '../db/connect.ts'

export interface NotificationInput {
  countyId: number
  /** A locale key under notifications.kinds, e.g. deadline.overdue. */
  kind: string
  caseId: string | null
  params: Record<string, unknown>
}

/** Puts one message in each recipient's inbox; call it inside the transaction that caused it. */
export async function notify(db: Db, userIds: number[], input: NotificationInput): Promise<void> {
  if (userIds.length === 0) return
  await db
    .insertInto('notifications')
    .values(userIds.map((userId) => ({ userId, countyId: input.countyId, kind: input.kind, caseId: input.caseId, params: JSON.stringify(input.params) })))
    .execute()
}

export async function unreadCount(db: Db, userId: number): Promise<number> {
  const row = await db.selectFrom('notifications').select((eb) => eb.fn.countAll<string>().as('n')).where('userId', '=', userId).where('readAt', 'is', null).executeTakeFirstOrThrow()
  return Number(row.n)
}
