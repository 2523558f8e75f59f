import { sql } from 'kysely'
import type { Db } from '../db/connect.ts'
import type { Actor } from '../accounts/actor.ts'
import { NotFound, RuleViolation, Forbidden } from '../errors/errors.ts'
import { chainHash, feeEntryContent, lockChainHead } from '../ledger/chain.ts'

export type EntryKind = 'collect' | 'refund' | 'remit'

/** The sign of an entry's effect on the station's cash. */
export const SIGN: Record<EntryKind, 1n | -1n> = { collect: 1n, refund: -1n, remit: -1n }

export interface FeeInput {
  kind: EntryKind
  /** Positive amount typed by the agent, in fen. */
  amountFen: bigint
  department: string
  payer: string
  caseId: string | null
  note: string
}

/** 20260213-0007: the day and a 4-digit sequence, unique per station per day. */
export function formatSerial(villageCode: string, day: string, seq: number): string {
  return `${villageCode}-${day.replaceAll('-', '')}-${String(seq).padStart(4, '0')}`
}

async function requireOpenDay(trx: Db, villageId: number, day: string): Promise<void> {
  // Taking the settlement lock first: a settlement and an entry of the same day never interleave.
  await sql`select pg_advisory_xact_lock(hashtext('fee-day'), ${villageId})`.execute(trx)
  const settled = await trx.selectFrom('stationSettlements').select('id').where('villageId', '=', villageId).where('day', '=', day).executeTakeFirst()
  if (settled) throw new RuleViolation('fees.daySettled')
}

async function insertEntry(
  trx: Db,
  actor: Actor,
  values: { kind: EntryKind | 'reversal'; amountFen: bigint; department: string; payer: string; caseId: string | null; applicantId: number | null; reversesId: string | null; note: string },
  day: string,
  now: Date,
): Promise<{ id: string; serial: string }> {
  const village = await trx.selectFrom('villages').select(['code', 'townId']).where('id', '=', actor.villageId!).executeTakeFirstOrThrow()
  const { lastSeq } = await trx
    .insertInto('feeCounters')
    .values({ villageId: actor.villageId!, day, lastSeq: 1 })
    .onConflict((oc) => oc.columns(['villageId', 'day']).doUpdateSet({ lastSeq: sql`fee_counters.last_seq + 1` }))
    .returning('lastSeq')
    .executeTakeFirstOrThrow()
  const serial = formatSerial(village.code, day, lastSeq)
  const prevHash = await lockChainHead(trx, 'fee_entries', actor.villageId!)
  const entry = {
    countyId: actor.countyId,
    villageId: actor.villageId!,
    serial,
    day,
    seq: lastSeq,
    kind: values.kind,
    amountFen: values.amountFen.toString(),
    department: values.department,
    payer: values.payer,
    caseId: values.caseId,
    applicantId: values.applicantId,
    reversesId: values.reversesId,
    note: values.note,
    enteredBy: actor.id,
    enteredAt: now,
  }
  const { id } = await trx
    .insertInto('feeEntries')
    .values({ ...entry, townId: village.townId, prevHash, hash: chainHash(prevHash, feeEntryContent(entry)) })
    .returning('id')
    .executeTakeFirstOrThrow()
  return { id, serial }
}

/** Records money collected, refunded or remitted by an agent; the entry can never change afterwards. */
export async function recordFee(db: Db, actor: Actor, input: FeeInput, day: string, now: Date): Promise<{ id: string; serial: string }> {
  if (actor.role !== 'agent' || !actor.villageId) throw new Forbidden()
  if (input.amountFen <= 0n) throw new RuleViolation('fees.amountPositive', 'amount')
  return db.transaction().execute(async (trx) => {
    await requireOpenDay(trx, actor.villageId!, day)
    let applicantId: number | null = null
    if (input.caseId) {
      const c = await trx.selectFrom('cases').select(['applicantId', 'villageId']).where('id', '=', input.caseId).executeTakeFirst()
      if (!c || c.villageId !== actor.villageId) throw new RuleViolation('fees.caseUnknown', 'caseNo')
      applicantId = c.applicantId
    }
    return insertEntry(trx, actor, { ...input, amountFen: SIGN[input.kind] * input.amountFen, applicantId, reversesId: null }, day, now)
  })
}

/** A correction: the reversal names the original, on its own day, before settlement, at most once. */
export async function reverseFee(db: Db, actor: Actor, entryId: string, reason: string, day: string, now: Date): Promise<{ id: string; serial: string }> {
  if (actor.role !== 'agent' || !actor.villageId) throw new Forbidden()
  return db.transaction().execute(async (trx) => {
    const original = await trx.selectFrom('feeEntries').selectAll().where('id', '=', entryId).where('villageId', '=', actor.villageId!).executeTakeFirst()
    // Another station's entry is not found, whatever else is wrong with the request.
    if (!original) throw new NotFound()
    if (!reason.trim()) throw new RuleViolation('validation.required', 'reason')
    if (original.kind === 'reversal') throw new RuleViolation('fees.reverseReversal')
    if (original.day !== day) throw new RuleViolation('fees.reverseSameDay', null, { day: original.day })
    await requireOpenDay(trx, actor.villageId!, day)
    const already = await trx.selectFrom('feeEntries').select('serial').where('reversesId', '=', original.id).executeTakeFirst()
    if (already) throw new RuleViolation('fees.alreadyReversed', null, { serial: already.serial })
    try {
      return await insertEntry(
        trx,
        actor,
        { kind: 'reversal', amountFen: -BigInt(original.amountFen), department: original.department, payer: original.payer, caseId: original.caseId, applicantId: original.applicantId, reversesId: original.id, note: `${original.serial}: ${reason.trim()}` },
        day,
        now,
      )
    } catch (error) {
      if ((error as { code?: string }).code === '23505') throw new RuleViolation('fees.alreadyReversed', null, { serial: '' })
      throw error
    }
  })
}

/** Totals per business type of the given entries; values are exact integer fen as strings. */
export function totalsByDepartment(entries: { department: string; amountFen: string }[]): { totals: Record<string, string>; total: bigint } {
  const sums = new Map<string, bigint>()
  let total = 0n
  for (const e of entries) {
    const n = BigInt(e.amountFen)
    sums.set(e.department, (sums.get(e.department) ?? 0n) + n)
    total += n
  }
  return { totals: Object.fromEntries([...sums].sort(([a], [b]) => a.localeCompare(b)).map(([k, v]) => [k, v.toString()])), total }
}

/** 个人扎账: an agent's own totals of a day, as often as wanted; each run is kept. */
export async function settleAgent(db: Db, actor: Actor, day: string) {
  if (actor.role !== 'agent' || !actor.villageId) throw new Forbidden()
  const entries = await db.selectFrom('feeEntries').select(['department', 'amountFen']).where('villageId', '=', actor.villageId).where('day', '=', day).where('enteredBy', '=', actor.id).execute()
  const { totals, total } = totalsByDepartment(entries)
  await db.insertInto('agentSettlements').values({ villageId: actor.villageId, agentId: actor.id, day, totals: JSON.stringify(totals), totalFen: total.toString() }).execute()
  return { totals, total }
}

/** 网点扎账: expected cash (应缴) against declared cash (实缴); afterwards the day is closed. */
export async function settleStation(db: Db, actor: Actor, day: string, declaredFen: bigint, note: string) {
  if (actor.role !== 'agent' || !actor.villageId) throw new Forbidden()
  return db.transaction().execute(async (trx) => {
    await requireOpenDay(trx, actor.villageId!, day)
    const entries = await trx.selectFrom('feeEntries').select(['department', 'amountFen']).where('villageId', '=', actor.villageId!).where('day', '=', day).execute()
    const { totals, total } = totalsByDepartment(entries)
    const difference = declaredFen - total
    if (difference !== 0n && !note.trim()) throw new RuleViolation('fees.differenceNote', 'note')
    await trx
      .insertInto('stationSettlements')
      .values({ villageId: actor.villageId!, day, expectedFen: total.toString(), declaredFen: declaredFen.toString(), differenceFen: difference.toString(), totals: JSON.stringify(totals), note: note.trim(), settledBy: actor.id })
      .execute()
    return { totals, expected: total, declared: declaredFen, difference }
  })
}
