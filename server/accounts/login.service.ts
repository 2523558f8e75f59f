import { sql } from 'kysely'
import type { Db } from '../db/connect.ts'
import { verifyPassword, timingDummyHash } from './passwords.ts'
import { clearLoginFailures, findUserByUsername, listLoginFailuresSince, recordLoginFailure } from './users.repository.ts'
import { recordAudit } from '../audit/audit.ts'

/** Failures from one address on one account that cost nothing; after them each attempt waits longer. */
export const FREE_FAILURES = 3
export const BACKOFF_BASE_MS = 5_000
export const BACKOFF_MAX_MS = 15 * 60 * 1000
/** Failures older than this are forgotten. */
export const FAILURE_WINDOW_MS = 60 * 60 * 1000

export type LoginResult = { ok: true; userId: number; tokenVersion: number } | { ok: false; reason: 'invalid' | 'disabled' }

/**
 * When the next attempt on an account from an address may be checked, given that address's recent
 * failures on it (any order), or null when it may be checked now. Three are free; then the wait
 * doubles from 5 s up to 15 min. It is per address, so a guesser elsewhere cannot keep the agent
 * at the counter out of their own account (the old hard lock could), and the per-address rate
 * limit caps what one address tries across accounts.
 */
export function nextAttemptAt(failures: readonly Date[], now: Date): Date | null {
  const recent = failures.filter((at) => now.getTime() - at.getTime() < FAILURE_WINDOW_MS).sort((a, b) => a.getTime() - b.getTime())
  if (recent.length < FREE_FAILURES) return null
  const wait = Math.min(BACKOFF_BASE_MS * 2 ** (recent.length - FREE_FAILURES), BACKOFF_MAX_MS)
  const at = new Date(recent[recent.length - 1].getTime() + wait)
  return at > now ? at : null
}

/**
 * Checks a username and password. Every refusal a guesser can meet (unknown name, wrong password,
 * waiting out the back-off) gets the same answer after the same work, so the page tells nobody
 * which usernames exist or when one is being throttled; while an address must wait, even the
 * right password from it is refused.
 */
export async function logIn(db: Db, username: string, password: string, ip: string, now: Date): Promise<LoginResult> {
  const found = await findUserByUsername(db, username)
  if (!found) {
    await verifyPassword(await timingDummyHash(), password)
    return { ok: false, reason: 'invalid' }
  }
  // Attempts on one account queue here and read the failures afresh: a burst of parallel guesses
  // cannot all be checked before the back-off starts.
  return db.transaction().execute(async (trx) => {
    await sql`select pg_advisory_xact_lock(hashtext('login'), ${found.id})`.execute(trx)
    const user = (await findUserByUsername(trx, username)) ?? found
    const failures = await listLoginFailuresSince(trx, user.id, ip, new Date(now.getTime() - FAILURE_WINDOW_MS))
    if (nextAttemptAt(failures, now)) {
      await verifyPassword(await timingDummyHash(), password)
      return { ok: false, reason: 'invalid' } as const
    }
    const passwordOk = await verifyPassword(user.passwordHash, password)
    if (!passwordOk) {
      await recordLoginFailure(trx, user.id, ip, now)
      if (failures.length + 1 === FREE_FAILURES) {
        await recordAudit(trx, { countyId: user.countyId, actorId: null, action: 'user.login_throttled', subjectType: 'user', subjectId: user.id, data: { ip } })
      }
      return { ok: false, reason: 'invalid' } as const
    }
    // A disabled account is told so only after the right password, so the message reveals nothing to a guesser.
    if (user.disabled) return { ok: false, reason: 'disabled' } as const
    await clearLoginFailures(trx, user.id, ip)
    return { ok: true, userId: user.id, tokenVersion: user.tokenVersion } as const
  })
}
