import { Kysely } from 'kysely'

/**
 * A window may complete a case while its request for help is still open (it found what it needed
 * elsewhere) once it confirms so: the request is then withdrawn, not answered, and leaves the
 * agent's "help asked" list.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('case_assists').addColumn('withdrawn_at', 'timestamptz').execute()
}
