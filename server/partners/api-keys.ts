import { createHash, randomBytes } from 'node:crypto'
import type { Db } from '../db/connect.ts'
import type { Actor } from '../accounts/actor.ts'
import { PARTNER_CHANNELS, type PartnerChannel } from '../db/schema.ts'
import { Forbidden, NotFound, RuleViolation } from '../errors/errors.ts'
import { recordAudit } from '../audit/audit.ts'

/**
 * Keys of the partner channels to the Open311 API. A key is 32 random bytes, shown to the
 * administrator once; the database keeps its SHA-256 (a random key needs no slow hash: there is
 * nothing to guess from) and its last four characters to tell keys apart on the list.
 */
export const KEY_PREFIX = 'bm_'

export const hashKey = (key: string): string => createHash('sha256').update(key).digest('hex')

export interface ApiKeyInput {
  partner: string
  channel: string
  /** '' or null: the whole county. */
  townId: number | null
}

/** A key that may be used: not revoked, with the county and town it files requests for. */
export interface PartnerKey {
  id: number
  countyId: number
  countyCode: string
  townId: number | null
  partner: string
  channel: PartnerChannel
}

export async function issueApiKey(db: Db, actor: Actor, input: ApiKeyInput, now: Date): Promise<{ id: number; key: string }> {
  if (actor.role !== 'admin') throw new Forbidden()
  const problems: RuleViolation[] = []
  const partner = input.partner.trim()
  if (!partner) problems.push(new RuleViolation('validation.required', 'partner'))
  if (!PARTNER_CHANNELS.includes(input.channel as PartnerChannel)) problems.push(new RuleViolation('validation.choose', 'channel'))
  if (input.townId !== null) {
    const town = await db.selectFrom('towns').select('id').where('id', '=', input.townId).where('countyId', '=', actor.countyId).executeTakeFirst()
    if (!town) problems.push(new RuleViolation('validation.choose', 'townId'))
  }
  const refused = RuleViolation.all(problems)
  if (refused) throw refused
  const key = KEY_PREFIX + randomBytes(32).toString('base64url')
  return db.transaction().execute(async (trx) => {
    const { id } = await trx
      .insertInto('apiKeys')
      .values({ countyId: actor.countyId, townId: input.townId, partner, channel: input.channel as PartnerChannel, keyHash: hashKey(key), keyHint: key.slice(-4), createdBy: actor.id, createdAt: now })
      .returning('id')
      .executeTakeFirstOrThrow()
    await recordAudit(trx, { countyId: actor.countyId, actorId: actor.id, action: 'api_key.issue', subjectType: 'api_key', subjectId: id, data: { partner, channel: input.channel, townId: input.townId } })
    return { id, key }
  })
}

/** Revoking is final; the row stays, so the cases the key filed still name their partner. */
export async function revokeApiKey(db: Db, actor: Actor, id: number, now: Date): Promise<void> {
  if (actor.role !== 'admin') throw new Forbidden()
  await db.transaction().execute(async (trx) => {
    const revoked = await trx
      .updateTable('apiKeys')
      .set({ revokedAt: now, revokedBy: actor.id })
      .where('id', '=', id)
      .where('countyId', '=', actor.countyId)
      .where('revokedAt', 'is', null)
      .returning('partner')
      .executeTakeFirst()
    if (!revoked) {
      const exists = await trx.selectFrom('apiKeys').select('id').where('id', '=', id).where('countyId', '=', actor.countyId).executeTakeFirst()
      if (!exists) throw new NotFound()
      return // already revoked: nothing changes
    }
    await recordAudit(trx, { countyId: actor.countyId, actorId: actor.id, action: 'api_key.revoke', subjectType: 'api_key', subjectId: id, data: { partner: revoked.partner } })
  })
}

/** The key's holder, or undefined for an unknown or revoked key. */
export async function findPartnerKey(db: Db, key: string): Promise<PartnerKey | undefined> {
  if (!key.startsWith(KEY_PREFIX) || key.length > 100) return undefined
  return db
    .selectFrom('apiKeys')
    .innerJoin('counties', 'counties.id', 'apiKeys.countyId')
    .select(['apiKeys.id', 'apiKeys.countyId', 'counties.code as countyCode', 'apiKeys.townId', 'apiKeys.partner', 'apiKeys.channel'])
    .where('apiKeys.keyHash', '=', hashKey(key))
    .where('apiKeys.revokedAt', 'is', null)
    .executeTakeFirst()
}

export function listApiKeys(db: Db, countyId: number) {
  return db
    .selectFrom('apiKeys')
    .leftJoin('towns', 'towns.id', 'apiKeys.townId')
    .leftJoin('users as issuer', 'issuer.id', 'apiKeys.createdBy')
    .select(['apiKeys.id', 'apiKeys.partner', 'apiKeys.channel', 'apiKeys.keyHint', 'apiKeys.createdAt', 'apiKeys.revokedAt', 'apiKeys.lastUsedAt', 'towns.name as townName', 'issuer.displayName as issuerName'])
    .where('apiKeys.countyId', '=', countyId)
    .orderBy('apiKeys.revokedAt', (ob) => ob.desc().nullsFirst())
    .orderBy('apiKeys.id', 'desc')
    .execute()
}
