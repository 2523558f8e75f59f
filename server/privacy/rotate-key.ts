import { sql } from 'kysely'
import type { Db } from '../db/connect.ts'
import { recordAudit } from '../audit/audit.ts'
import type { IdVault } from './id-vault.ts'

const BATCH = 500

/**
 * Key rotation (`npm run admin -- rotate-pii-key`): a new key becomes current, every ID number is
 * re-sealed and re-hashed under it in batches (each batch one transaction, so a server running
 * meanwhile keeps reading: it opens either key and looks up under both), and the keys no row uses
 * any more leave the keyring. Recorded in each county's audit trail with the number of rows.
 */
export async function rotatePiiKey(db: Db, vault: IdVault, settleMs = 2500): Promise<{ keyId: string; resealed: number; dropped: string[] }> {
  const keyId = vault.addCurrentKey()
  // A running server reads the changed keyring within a second (id-vault.ts): let it, before any
  // row is sealed under a key it would not yet look up by.
  await new Promise((resolve) => setTimeout(resolve, settleMs))
  return { keyId, ...(await resealIdNumbers(db, vault)) }
}

/** Re-seals every row not yet under the current key; then drops the keys nothing needs. */
export async function resealIdNumbers(db: Db, vault: IdVault): Promise<{ resealed: number; dropped: string[] }> {
  const current = vault.currentKeyId
  const perCounty = new Map<number, number>()
  for (;;) {
    const done = await db.transaction().execute(async (trx) => {
      const rows = await trx
        .selectFrom('applicants')
        .select(['id', 'countyId', 'idNumberSealed'])
        .where('idNumberSealed', 'is not', null)
        .where('idNumberSealed', 'not like', `v1.${current}.%`)
        .orderBy('id')
        .limit(BATCH)
        .forUpdate()
        .execute()
      for (const row of rows) {
        const plain = vault.open(row.idNumberSealed!)
        await trx.updateTable('applicants').set({ idNumberSealed: vault.seal(plain), idNumberHash: vault.hash(plain) }).where('id', '=', row.id).execute()
        perCounty.set(row.countyId, (perCounty.get(row.countyId) ?? 0) + 1)
      }
      return rows.length
    })
    if (done < BATCH) break
  }
  const used = await db
    .selectFrom('applicants')
    .select(sql<string>`split_part(id_number_sealed, '.', 2)`.as('keyId'))
    .where('idNumberSealed', 'is not', null)
    .distinct()
    .execute()
  const dropped = vault.keyIds.filter((id) => id !== current && !used.some((u) => u.keyId === id))
  vault.dropKeys(dropped)
  const counties = await db.selectFrom('counties').select('id').execute()
  for (const { id } of counties) {
    await recordAudit(db, { countyId: id, actorId: null, action: 'pii.key_rotated', subjectType: 'pii_keyring', subjectId: current, data: { resealed: perCounty.get(id) ?? 0, dropped } })
  }
  return { resealed: [...perCounty.values()].reduce((a, b) => a + b, 0), dropped }
}
