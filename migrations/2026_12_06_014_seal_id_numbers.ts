import { Kysely, sql } from 'kysely'
import { idVault } from '../server/privacy/id-vault.ts'

/**
 * ID numbers leave the database in clear (PIPL): each is sealed under the keyring kept outside the
 * database (server/privacy/id-vault.ts) and stored with a keyed hash for exact look-up; the clear
 * column is dropped. One county cannot hold one ID number twice, as before, now on the hash.
 * A database that holds ID numbers has them sealed here, in batches, within the migration's
 * transaction; a new database has none and needs no key yet.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table applicants add column id_number_sealed text, add column id_number_hash text`.execute(db)
  for (;;) {
    const { rows } = await sql<{ id: number; idNumber: string }>`select id, id_number as "idNumber" from applicants where id_number is not null and id_number_sealed is null order by id limit 1000`.execute(db)
    if (rows.length === 0) break
    const vault = idVault()
    const values = rows.map((r) => sql`(${r.id}::int, ${vault.seal(r.idNumber)}, ${vault.hash(r.idNumber)})`)
    await sql`update applicants a set id_number_sealed = v.sealed, id_number_hash = v.hash
              from (values ${sql.join(values)}) as v(id, sealed, hash) where a.id = v.id`.execute(db)
  }
  await sql`alter table applicants drop constraint applicants_county_id_number_key`.execute(db)
  await sql`alter table applicants drop column id_number`.execute(db)
  await sql`alter table applicants add constraint applicants_county_id_number_hash_key unique (county_id, id_number_hash)`.execute(db)
  await sql`alter table applicants add constraint applicants_id_number_sealed_with_hash check ((id_number_sealed is null) = (id_number_hash is null))`.execute(db)
  await sql`alter table applicants add constraint applicants_id_number_sealed_form check (id_number_sealed is null or id_number_sealed like 'v1.%')`.execute(db)
  // An anonymised file (migration 013) keeps no ID number either.
  await sql`alter table applicants add constraint applicants_anonymised_without_id check (anonymised_at is null or id_number_sealed is null)`.execute(db)
}
