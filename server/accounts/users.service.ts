import type { Db } from '../db/connect.ts'
import type { Role } from '../db/schema.ts'
import type { Actor } from './actor.ts'
import { RuleViolation, NotFound } from '../errors/errors.ts'
import { hashPassword, MIN_PASSWORD_LENGTH } from './passwords.ts'
import { findUserById, findUserByUsername, insertUser, updateUser } from './users.repository.ts'
import { recordAudit } from '../audit/audit.ts'
import { checkPasswordUnderBackOff } from './login.service.ts'

export const USERNAME_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{2,31}$'

export interface UserInput {
  username?: string
  displayName: string
  phone: string
  role: Role
  post?: 'A' | 'B' | ''
  villageId?: number | ''
  windowId?: number | ''
  townId?: number | ''
  password?: string
}

export function checkPasswordStrength(password: string, field = 'password'): void {
  if (password.length < MIN_PASSWORD_LENGTH) throw new RuleViolation('password.tooShort', field, { min: MIN_PASSWORD_LENGTH })
  if (!/[A-Za-z]/.test(password) || !/[0-9]/.test(password)) throw new RuleViolation('password.tooSimple', field)
}

const id = (value: number | '' | undefined): number | null => (value === '' || value === undefined ? null : Number(value))

/**
 * The place a user works follows from the role, and must be in the county.
 * Returns the columns to store; refuses a missing or foreign place.
 */
async function placeFor(db: Db, countyId: number, input: UserInput) {
  const place = { post: null as 'A' | 'B' | null, villageId: null as number | null, windowId: null as number | null, townId: null as number | null }
  switch (input.role) {
    case 'agent': {
      const villageId = id(input.villageId)
      if (villageId === null) throw new RuleViolation('users.villageRequired', 'villageId')
      const village = await db.selectFrom('villages').select('id').where('id', '=', villageId).where('countyId', '=', countyId).executeTakeFirst()
      if (!village) throw new RuleViolation('users.villageRequired', 'villageId')
      if (input.post !== 'A' && input.post !== 'B') throw new RuleViolation('users.postRequired', 'post')
      return { ...place, villageId, post: input.post }
    }
    case 'clerk': {
      const windowId = id(input.windowId)
      if (windowId === null) throw new RuleViolation('users.windowRequired', 'windowId')
      const window = await db.selectFrom('windows').select('id').where('id', '=', windowId).where('countyId', '=', countyId).executeTakeFirst()
      if (!window) throw new RuleViolation('users.windowRequired', 'windowId')
      return { ...place, windowId }
    }
    case 'supervisor': {
      const townId = id(input.townId)
      if (townId === null) return place
      const town = await db.selectFrom('towns').select('id').where('id', '=', townId).where('countyId', '=', countyId).executeTakeFirst()
      if (!town) throw new RuleViolation('users.townInvalid', 'townId')
      return { ...place, townId }
    }
    case 'admin':
      return place
  }
}

export async function createUser(db: Db, actor: Pick<Actor, 'id' | 'countyId'> | null, countyId: number, input: UserInput): Promise<number> {
  const username = (input.username ?? '').trim().toLowerCase()
  if (!new RegExp(USERNAME_PATTERN).test(username)) throw new RuleViolation('users.usernameFormat', 'username')
  checkPasswordStrength(input.password ?? '')
  const passwordHash = await hashPassword(input.password!)
  return db.transaction().execute(async (trx) => {
    if (await findUserByUsername(trx, username)) throw new RuleViolation('users.usernameTaken', 'username')
    const place = await placeFor(trx, countyId, input)
    const userId = await insertUser(trx, {
      countyId,
      username,
      displayName: input.displayName.trim(),
      phone: input.phone.trim(),
      role: input.role,
      passwordHash,
      ...place,
    })
    await recordAudit(trx, { countyId, actorId: actor?.id ?? null, action: 'user.created', subjectType: 'user', subjectId: userId, data: { username, role: input.role, ...place } })
    return userId
  })
}

export async function editUser(db: Db, actor: Actor, userId: number, input: UserInput, now: Date): Promise<void> {
  const newHash = input.password ? (checkPasswordStrength(input.password), await hashPassword(input.password)) : null
  await db.transaction().execute(async (trx) => {
    const user = await findUserById(trx, userId)
    if (!user || user.countyId !== actor.countyId) throw new NotFound()
    const place = await placeFor(trx, actor.countyId, input)
    const placeChanged = user.role !== input.role || user.villageId !== place.villageId || user.windowId !== place.windowId || user.townId !== place.townId
    await updateUser(trx, userId, {
      displayName: input.displayName.trim(),
      phone: input.phone.trim(),
      role: input.role,
      ...place,
      ...(newHash ? { passwordHash: newHash } : {}),
      // A new role, place or password ends the user's sessions: what they could see has changed.
      ...(placeChanged || newHash ? { tokenVersion: user.tokenVersion + 1 } : {}),
    }, now)
    await recordAudit(trx, {
      countyId: actor.countyId,
      actorId: actor.id,
      action: 'user.edited',
      subjectType: 'user',
      subjectId: userId,
      data: { role: input.role, ...place, passwordReset: Boolean(newHash) },
    })
  })
}

export async function setUserDisabled(db: Db, actor: Actor, userId: number, disabled: boolean, now: Date): Promise<void> {
  if (userId === actor.id && disabled) throw new RuleViolation('users.cannotDisableSelf')
  await db.transaction().execute(async (trx) => {
    const user = await findUserById(trx, userId)
    if (!user || user.countyId !== actor.countyId) throw new NotFound()
    await updateUser(trx, userId, { disabled, tokenVersion: user.tokenVersion + 1, lockedUntil: null }, now)
    await recordAudit(trx, { countyId: actor.countyId, actorId: actor.id, action: disabled ? 'user.disabled' : 'user.enabled', subjectType: 'user', subjectId: userId })
  })
}

/** Returns the new token version: every other session of the user ends. */
export async function changePassword(db: Db, actor: Actor, current: string, password: string, confirm: string, ip: string, now: Date): Promise<number> {
  // The current password is checked under the login's back-off (per account and address), and the
  // failure is kept before the form is refused: a stolen session guesses no faster than the login page.
  const checked = await db.transaction().execute((trx) => checkPasswordUnderBackOff(trx, actor.id, current, ip, now))
  if (!checked) throw new NotFound()
  if (!checked.ok) {
    if (checked.waitUntil) throw new RuleViolation('password.currentWait', 'current', { seconds: Math.ceil((checked.waitUntil.getTime() - now.getTime()) / 1000) })
    throw new RuleViolation('password.currentWrong', 'current')
  }
  const user = checked.user
  if (password !== confirm) throw new RuleViolation('password.mismatch', 'confirm')
  if (password === current) throw new RuleViolation('password.sameAsOld', 'password')
  checkPasswordStrength(password)
  const passwordHash = await hashPassword(password)
  return db.transaction().execute(async (trx) => {
    const tokenVersion = user.tokenVersion + 1
    await updateUser(trx, user.id, { passwordHash, tokenVersion }, now)
    await recordAudit(trx, { countyId: user.countyId, actorId: user.id, action: 'user.password_changed', subjectType: 'user', subjectId: user.id })
    return tokenVersion
  })
}
