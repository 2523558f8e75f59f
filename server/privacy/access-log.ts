import type { Db } from '../db/connect.ts'
import type { PersonalDataField } from '../db/schema.ts'
import type { Actor } from '../accounts/actor.ts'
import { withoutConfirmToken } from './recorded-links.ts'

/**
 * The record of who saw whose personal data (table personal_data_access). Every reveal of a masked
 * ID number or phone, every export that carries full personal data and every access report printed
 * for a villager writes one row here, in the same transaction as whatever else the request writes.
 */
export type AccessRecord =
  | { kind: 'reveal'; applicantId: number; field: PersonalDataField; page: string }
  | { kind: 'export'; exportName: string; page: string; rowCount: number; applicantIds?: number[]; applicantId?: number }
  | { kind: 'report'; applicantId: number; page: string }

export async function recordAccess(db: Db, actor: Actor, record: AccessRecord, at: Date): Promise<void> {
  await db
    .insertInto('personalDataAccess')
    .values({
      countyId: actor.countyId,
      actorId: actor.id,
      at,
      kind: record.kind,
      applicantId: 'applicantId' in record ? (record.applicantId ?? null) : null,
      field: record.kind === 'reveal' ? record.field : null,
      // The page without a recorded link's session token (privacy/recorded-links.ts): a record is read by others.
      page: withoutConfirmToken(record.page).slice(0, 300),
      exportName: record.kind === 'export' ? record.exportName : null,
      rowCount: record.kind === 'export' ? record.rowCount : null,
      applicantIds: record.kind === 'export' && record.applicantIds ? [...new Set(record.applicantIds)] : null,
    })
    .execute()
}
