import { Kysely, sql } from 'kysely'

/**
 * A matter may say that its cases are never listed on the public monthly case list: in a small
 * village a masked name beside "serious illness relief" still tells everyone who is ill.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('matter_versions').addColumn('keep_off_public_list', 'boolean', (c) => c.notNull().defaultTo(sql`false`)).execute()
}
