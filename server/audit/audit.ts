import type { Db } from '../db/connect.ts'

export interface AuditEntry {
  countyId: number
  actorId: number | null
  action: string
  subjectType: string
  subjectId: string | number
  data?: Record<string, unknown>
}

/** Appends to the audit trail; call it inside the transaction that makes the change. */
export async function recordAudit(db: Db, entry: AuditEntry): Promise<void> {
  await db
    .insertInto('auditEvents')
    .values({ ...entry, subjectId: String(entry.subjectId), data: JSON.stringify(entry.data ?? {}) })
    .execute()
}
