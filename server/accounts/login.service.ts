import { sql } from 'kysely'
import type { Db } from '../db/connect.ts'
import { verifyPassword, timingDummyHash } from './passwords.ts'
import {
  clearLoginFailures,
  countLoginFailuresSince,
  findUserByUsername,
  recordLoginFailure,
  updateUser,
} from './users.repository.ts'
import { recordAudit } from '../audit/audit.ts'

export const LOCKOUT_FAILURES = 5
export const LOCKOUT_WINDOW_MS = 15 * 60 * 1000
export const LOCKOUT_DURATION_MS = 15 * 60 * 1000

export type LoginResult =
  | { ok: true; userId: number; tokenVersion: number }
  | { ok: false; reason: 'invalid' | 'locked' | 'disabled'; lockedUntil?: Date }

/**
 * Checks a username and password. Five failures within 15 minutes lock the account
 * for 15 minutes; while locked even the right password is refused.
 */
export async function logIn(db: Db, username: string, password: string, ip: string, now = new Date()): Promise<LoginResult> {
  const found = await findUserByUsername(db, username)
  if (!found) {
    await verifyPassword(await timingDummyHash(), password)
    return { ok: false, reason: 'invalid' }
  }
  // Attempts on one account queue here and read the lock afresh: a burst of parallel guesses
  // cannot all be checked before the fifth failure locks the account.
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('login'), ${found.id})`.execute(trx)
    const user = (await findUserByUsername(trx, username)) ?? found
    if (user.lockedUntil && user.lockedUntil > now) return { ok: false, reason: 'locked', lockedUntil: user.lockedUntil } as const

    const passwordOk = await verifyPassword(user.passwordHash, password)
    if (!passwordOk) {
      await recordLoginFailure(trx, user.id, ip)
      const failures = await countLoginFailuresSince(trx, user.id, new Date(now.getTime() - LOCKOUT_WINDOW_MS))
      if (failures < LOCKOUT_FAILURES) return { ok: false, reason: 'invalid' } as const
      const lockedUntil = new Date(now.getTime() + LOCKOUT_DURATION_MS)
      await updateUser(trx, user.id, { lockedUntil })
      await clearLoginFailures(trx, user.id)
      await recordAudit(trx, { countyId: user.countyId, actorId: null, action: 'user.locked', subjectType: 'user', subjectId: user.id, data: { ip, failures } })
      return { ok: false, reason: 'locked', lockedUntil } as const
    }
    // A disabled account is told so only after the right password, so the message reveals nothing to a guesser.
    if (user.disabled) return { ok: false, reason: 'disabled' } as const
    await clearLoginFailures(trx, user.id)
    return { ok: true, userId: user.id, tokenVersion: user.tokenVersion } as const
  })
}
