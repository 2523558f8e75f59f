import { Kysely, sql } from 'kysely'

/**
 * One file per ID number per county, not per installation: a check across counties told one
 * county's agents that a person had a file in another (an oracle), and each county keeps its own
 * records of the people it serves.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`alter table applicants drop constraint applicants_id_number_key`.execute(db)
  await sql`alter table applicants add constraint applicants_county_id_number_key unique (county_id, id_number)`.execute(db)
}
