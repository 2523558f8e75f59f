import { createHash } from 'node:crypto'
import { sql } from 'kysely'
import type { Db } from '../db/connect.ts'

/**
 * Tamper evidence: every case event and fee entry carries SHA-256(previous hash + canonical content),
 * chained per station. Editing, deleting or reordering a row breaks the chain from that row on.
 */
export const GENESIS = '0'.repeat(64)

export type ChainTable = 'case_events' | 'fee_entries'

/** JSON with sorted keys and no spaces: the same content always gives the same text. */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null'
  if (value instanceof Date) return JSON.stringify(value.toISOString())
  if (typeof value === 'bigint') return JSON.stringify(value.toString())
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
  }
  return JSON.stringify(value)
}

export function chainHash(prevHash: string, content: unknown): string {
  return createHash('sha256').update(prevHash).update('\n').update(canonicalJson(content)).digest('hex')
}

/**
 * Locks the station's chain for the rest of the transaction and returns its last hash.
 * Two writers at one station queue here, so the chain never forks.
 */
export async function lockChainHead(trx: Db, table: ChainTable, villageId: number): Promise<string> {
  await sql`select pg_advisory_xact_lock(hashtext(${table}), ${villageId})`.execute(trx)
  const row = await sql<{ hash: string }>`select hash from ${sql.table(table)} where village_id = ${villageId} order by id desc limit 1`.execute(trx)
  return row.rows[0]?.hash ?? GENESIS
}

/** What is hashed of a case event: everything but its id and the hashes themselves. */
export function caseEventContent(e: {
  countyId: number
  caseId: string
  villageId: number
  actorId: number | null
  actorRole: string
  action: string
  fromStage: string | null
  toStage: string
  note: string
  data: unknown
  at: Date
}) {
  return { table: 'case_events', countyId: e.countyId, caseId: String(e.caseId), villageId: e.villageId, actorId: e.actorId, actorRole: e.actorRole, action: e.action, fromStage: e.fromStage, toStage: e.toStage, note: e.note, data: e.data, at: e.at }
}

export function feeEntryContent(e: {
  countyId: number
  villageId: number
  serial: string
  day: string
  seq: number
  kind: string
  amountFen: string | number | bigint
  department: string
  payer: string
  caseId: string | null
  applicantId: number | null
  reversesId: string | null
  note: string
  enteredBy: number
  enteredAt: Date
}) {
  return {
    table: 'fee_entries', countyId: e.countyId, villageId: e.villageId, serial: e.serial, day: e.day, seq: e.seq, kind: e.kind, amountFen: String(e.amountFen),
    department: e.department, payer: e.payer, caseId: e.caseId === null ? null : String(e.caseId), applicantId: e.applicantId,
    reversesId: e.reversesId === null ? null : String(e.reversesId), note: e.note, enteredBy: e.enteredBy, enteredAt: e.enteredAt,
  }
}

export interface ChainBreak {
  table: ChainTable
  villageId: number
  rowId: string
  reason: 'content' | 'link'
}

export interface ChainReport {
  table: ChainTable
  stations: number
  rows: number
  firstBreak: ChainBreak | null
}

/** Walks one table's chains, station by station in id order; names the first broken link. */
export async function verifyChain(db: Db, table: ChainTable, countyId?: number): Promise<ChainReport> {
  // (The CamelCasePlugin turns result columns into camelCase, raw queries included.)
  const stations = await sql<{ villageId: number }>`select distinct village_id from ${sql.table(table)} ${countyId ? sql`where county_id = ${countyId}` : sql``} order by village_id`.execute(db)
  let rows = 0
  for (const { villageId } of stations.rows) {
    let prev = GENESIS
    let afterId = '0'
    // In pages, so a station with a million rows never sits in memory.
    for (;;) {
      // Each row with the content its own table hashes, so the walk below is the same for both.
      const page =
        table === 'case_events'
          ? (await db.selectFrom('caseEvents').selectAll().where('villageId', '=', villageId).where('id', '>', afterId).orderBy('id').limit(5000).execute()).map((row) => ({ ...row, content: caseEventContent(row) }))
          : (await db.selectFrom('feeEntries').selectAll().where('villageId', '=', villageId).where('id', '>', afterId).orderBy('id').limit(5000).execute()).map((row) => ({ ...row, content: feeEntryContent(row) }))
      if (page.length === 0) break
      for (const row of page) {
        rows++
        if (row.prevHash !== prev) return { table, stations: stations.rows.length, rows, firstBreak: { table, villageId, rowId: row.id, reason: 'link' } }
        if (chainHash(prev, row.content) !== row.hash) return { table, stations: stations.rows.length, rows, firstBreak: { table, villageId, rowId: row.id, reason: 'content' } }
        prev = row.hash
      }
      afterId = page[page.length - 1].id
    }
  }
  return { table, stations: stations.rows.length, rows, firstBreak: null }
}
