import { sql } from 'kysely'
import type { Db } from '../db/connect.ts'
import type { NewUser, UserUpdate } from '../db/schema.ts'
import type { Actor } from './actor.ts'

type Queryable = Db

/** Where a user works, by name: the heading of their home page. */
export interface PlaceNames {
  villageName: string | null
  windowName: string | null
  townName: string | null
  countyName: string
}

/**
 * The actor behind a session, with the town its place belongs to, the names of that place and the
 * count of unread messages: everything a signed-in request needs about its user, in one statement
 * (it runs on every request, so a second round trip here costs every page).
 */
export async function findActor(db: Queryable, userId: number): Promise<(Actor & { disabled: boolean; unread: number; place: PlaceNames }) | undefined> {
  const row = await db
    .selectFrom('users')
    .leftJoin('villages', 'villages.id', 'users.villageId')
    .leftJoin('windows', 'windows.id', 'users.windowId')
    .leftJoin('towns', (join) => join.on(sql`towns.id`, '=', sql`coalesce(users.town_id, villages.town_id, windows.town_id)`))
    .innerJoin('counties', 'counties.id', 'users.countyId')
    .select([
      'users.id',
      'users.countyId',
      'users.username',
      'users.displayName',
      'users.role',
      'users.post',
      'users.villageId',
      'users.windowId',
      'users.tokenVersion',
      'users.disabled',
      sql<number | null>`coalesce(users.town_id, villages.town_id, windows.town_id)`.as('townId'),
      'villages.name as villageName',
      'windows.name as windowName',
      'towns.name as townName',
      'counties.name as countyName',
      // Served by the partial index notifications_unread_idx.
      sql<string>`(select count(*) from notifications n where n.user_id = users.id and n.read_at is null)`.as('unread'),
    ])
    .where('users.id', '=', userId)
    .executeTakeFirst()
  if (!row) return undefined
  const { villageName, windowName, townName, countyName, unread, ...actor } = row
  return { ...actor, unread: Number(unread), place: { villageName, windowName, townName, countyName } }
}

export function findUserByUsername(db: Queryable, username: string) {
  return db
    .selectFrom('users')
    .selectAll()
    .where(sql`lower(username)`, '=', username.trim().toLowerCase())
    .executeTakeFirst()
}

export function findUserById(db: Queryable, id: number) {
  return db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function insertUser(db: Queryable, user: NewUser): Promise<number> {
  const row = await db.insertInto('users').values(user).returning('id').executeTakeFirstOrThrow()
  return row.id
}

export async function updateUser(db: Queryable, id: number, changes: UserUpdate, now: Date): Promise<void> {
  await db.updateTable('users').set({ ...changes, updatedAt: now }).where('id', '=', id).execute()
}

export async function recordLoginFailure(db: Queryable, userId: number, ip: string, at: Date): Promise<void> {
  await db.insertInto('loginFailures').values({ userId, ip, at }).execute()
}

/** When this address failed on this account since `since`. */
export async function listLoginFailuresSince(db: Queryable, userId: number, ip: string, since: Date): Promise<Date[]> {
  const rows = await db.selectFrom('loginFailures').select('at').where('userId', '=', userId).where('ip', '=', ip).where('at', '>', since).execute()
  return rows.map((r) => r.at)
}

export async function clearLoginFailures(db: Queryable, userId: number, ip: string): Promise<void> {
  await db.deleteFrom('loginFailures').where('userId', '=', userId).where('ip', '=', ip).execute()
}
