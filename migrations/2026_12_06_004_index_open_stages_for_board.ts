import { Kysely, sql } from 'kysely'

/**
 * The overdue board counts a county's open stages by place and status in one grouped statement
 * (supervision/overdue.ts). This index holds only the stages that run a deadline (SWEPT_STAGES)
 * with every column the count reads, so the count is an index-only scan of a few thousand entries
 * rather than a visit to each case's row among a million.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create index cases_board_idx on cases (county_id, due_on) include (stage, due_limit, village_id, town_id, window_id, agent_id)
    where stage in ('registered', 'accepted', 'forwarded', 'in_progress', 'completed') and due_on is not null`.execute(db)
}
