import { sql } from 'kysely'
import type { Db } from '../db/connect.ts'
import { verifyPassword, timingDummyHash } from './passwords.ts'
import { clearLoginFailures, findUserById, findUserByUsername, listLoginFailuresSince, recordLoginFailure } from './users.repository.ts'
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

type UserRow = NonNullable<Awaited<ReturnType<typeof findUserById>>>

/** What a password check under the back-off found: the user, a wrong password, or an address that must wait first. */
export type PasswordCheck = { ok: true; user: UserRow } | { ok: false; waitUntil: Date | null }

/**
 * Checks an account's password under the one back-off rule (`nextAttemptAt`), for the login and
 * for a password change alike: a stolen session must not guess the current password faster than
 * the login page would let anyone guess it. Attempts on one account queue on a lock and read the
 * failures afresh, so a burst of parallel guesses cannot all be checked before the back-off starts.
 * While an address must wait even the right password is refused, after the same argon2 work.
 * Run it in its own transaction and act on a refusal after it commits: the failure must be kept.
 */
export async function checkPasswordUnderBackOff(trx: Db, userId: number, password: string, ip: string, now: Date): Promise<PasswordCheck | null> {
  await sql`select pg_advisory_xact_lock(hashtext('login'), ${userId})`.execute(trx)
  const user = await findUserById(trx, userId)
  if (!user) return null
  const failures = await listLoginFailuresSince(trx, user.id, ip, new Date(now.getTime() - FAILURE_WINDOW_MS))
  const waitUntil = nextAttemptAt(failures, now)
  if (waitUntil) {
    await verifyPassword(await timingDummyHash(), password)
    return { ok: false, waitUntil }
  }
  if (!(await verifyPassword(user.passwordHash, password))) {
    await recordLoginFailure(trx, user.id, ip, now)
    if (failures.length + 1 === FREE_FAILURES) {
      await recordAudit(trx, { countyId: user.countyId, actorId: null, action: 'user.login_throttled', subjectType: 'user', subjectId: user.id, data: { ip } })
    }
    return { ok: false, waitUntil: null }
  }
  await clearLoginFailures(trx, user.id, ip)
  return { ok: true, user }
}

/**
 * Checks a username and password. Every refusal a guesser can meet (unknown name, wrong password,
 * waiting out the back-off) gets the same answer after the same work, so the page tells nobody
 * which usernames exist or when one is being throttled.
 */
export async function logIn(db: Db, username: string, password: string, ip: string, now: Date): Promise<LoginResult> {
  const found = await findUserByUsername(db, username)
  if (!found) {
    await verifyPassword(await timingDummyHash(), password)
    return { ok: false, reason: 'invalid' }
  }
  const checked = await db.transaction().execute((trx) => checkPasswordUnderBackOff(trx, found.id, password, ip, now))
  if (!checked?.ok) return { ok: false, reason: 'invalid' }
  // A disabled account is told so only after the right password, so the message reveals nothing to a guesser.
  if (checked.user.disabled) return { ok: false, reason: 'disabled' }
  return { ok: true, userId: checked.user.id, tokenVersion: checked.user.tokenVersion }
}
