import { sql } from 'kysely'
import type { FastifyReply } from 'fastify'
import type { Db } from '../db/connect.ts'
import type { Actor } from '../accounts/actor.ts'
import { sendTable, type ExportFormat, type ExportTable } from '../exports/table.ts'
import { recordAccess } from './access-log.ts'

/**
 * Exports that carry full personal data (ledger, person file, visits, fee journal, 好差评 records,
 * an import's rows) are recorded like a reveal: who, when, which export, how many rows went out and
 * whose data they held, so a villager's access report can list the exports that carried theirs.
 * Statistics carry no person and are not recorded; nor are the receipts and slips printed for the
 * villager, which are the villager's own papers.
 */
export interface ExportRecord {
  /** A stable name of the export ('ledger.csv', 'person-file'), for reports and tests. */
  exportName: string
  /** The request's path and query: what was asked for. */
  page: string
  rowCount: number
  applicantIds?: number[]
}

/** Records an export whose rows are all in hand (a PDF, a table read before it is sent). */
export async function recordExport(db: Db, actor: Actor, record: ExportRecord, at: Date): Promise<void> {
  await recordAccess(db, actor, { kind: 'export', ...record }, at)
}

/** The applicants of the given cases, for an export whose rows are cases without their applicant's id. */
export async function applicantsOfCases(db: Db, caseIds: readonly (string | number)[]): Promise<number[]> {
  if (!caseIds.length) return []
  // One array parameter: a ledger of 100,000 rows would pass PostgreSQL's 65,535 parameters as a list.
  const ids = [...new Set(caseIds.map(String))]
  const rows = await db.selectFrom('cases').select('applicantId').distinct().where(sql<boolean>`cases.id = any(${ids}::bigint[])`).execute()
  return rows.map((r) => r.applicantId).sort((a, b) => a - b)
}

/** The applicants of the county's cases by number, for an export whose records carry case numbers only. */
export async function applicantsOfCaseNos(db: Db, countyId: number, caseNos: readonly string[]): Promise<number[]> {
  if (!caseNos.length) return []
  const rows = await db.selectFrom('cases').select('applicantId').distinct().where('countyId', '=', countyId).where(sql<boolean>`cases.case_no = any(${[...new Set(caseNos)]}::text[])`).execute()
  return rows.map((r) => r.applicantId).sort((a, b) => a - b)
}

/** How a row names the person in it: by the applicant's id, or by the case's (looked up when the export ends). */
export type WhoseRow<Row> = { applicantId: (row: Row) => number | null | undefined } | { caseId: (row: Row) => string | number | null | undefined } | null

export interface StreamedExport<Row> {
  db: Db
  actor: Actor
  exportName: string
  page: string
  whose: WhoseRow<Row>
  /** The app's clock, read when the export ends. */
  now: () => Date
}

/**
 * Passes the rows through, counting those handed to the writer, and records the export when they
 * end: all sent, or the download cut off (the writers return the iterator, which runs `finally`).
 * The record is written before the last bytes go out, so a finished download is always recorded.
 */
export async function* countedRows<Row>(rows: Iterable<Row> | AsyncIterable<Row>, exp: StreamedExport<Row>): AsyncGenerator<Row> {
  let count = 0
  const applicants = new Set<number>()
  const cases = new Set<string>()
  try {
    for await (const row of rows) {
      count++
      if (exp.whose && 'applicantId' in exp.whose) {
        const id = exp.whose.applicantId(row)
        if (id) applicants.add(id)
      } else if (exp.whose) {
        const id = exp.whose.caseId(row)
        if (id) cases.add(String(id))
      }
      yield row
    }
  } finally {
    // An export that does not know its people (an import's uploaded rows) records none rather than a wrong list.
    const applicantIds = !exp.whose ? undefined : cases.size ? await applicantsOfCases(exp.db, [...cases]) : [...applicants].sort((a, b) => a - b)
    await recordExport(exp.db, exp.actor, { exportName: exp.exportName, page: exp.page, rowCount: count, applicantIds }, exp.now())
  }
}

/** sendTable for a table of personal data: the same CSV or workbook, recorded with the rows it carried. */
export function sendRecordedTable<Row>(reply: FastifyReply, format: ExportFormat, table: ExportTable<Row>, exp: Omit<StreamedExport<Row>, 'page'>) {
  return sendTable(reply, format, { ...table, rows: countedRows(table.rows, { ...exp, page: reply.request.url }) })
}
