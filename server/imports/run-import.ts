import { maskIdNumbersIn } from '../privacy/mask.ts'
import type { Db } from '../db/connect.ts'
import type { Updateable } from 'kysely'
import type { ImportJobsTable, ImportProblem } from '../db/schema.ts'
import { recordAudit } from '../audit/audit.ts'
import { importContext, specOf, type ImportContext } from './kinds.ts'
import { workbookRows, type WorkbookLimits } from './workbook-rows.ts'
import { WorkbookRefused } from './zip-check.ts'
import { HEARTBEAT_MS } from './cut-off.ts'

export { workbookRows }

/**
 * Runs an import job on the server, so a browser closed midway loses nothing: it reads the
 * workbook row by row (exceljs's streaming reader, in a child process with its own memory limit:
 * workbook-rows.ts; memory stays flat however long the sheet),
 * checks every row and records every problem. A dry run stops there. An import checks again and,
 * only when no row has a problem, writes every row in one transaction: all or nothing.
 * Progress is written as it goes, outside that transaction, for the page that refreshes itself.
 */

/** Problems kept per job; beyond this the count goes on and the workbook of errors has them all. */
export const MAX_KEPT_PROBLEMS = 5000
const PROGRESS_EVERY = 250

/** A problem's parameters as kept with the job: a name or value quoted from a cell may hold an ID number. */
function maskedParams(params: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!params) return params
  return Object.fromEntries(Object.entries(params).map(([k, v]) => [k, typeof v === 'string' ? maskIdNumbersIn(v) : v]))
}

interface Tally {
  rows: number
  problems: ImportProblem[]
  problemCount: number
  rowsWithProblems: number
}

async function progress(db: Db, jobId: number, set: { rowsDone?: number; totalRows?: number }, now: () => Date) {
  await db.updateTable('importJobs').set({ ...set, heartbeatAt: now() }).where('id', '=', jobId).execute()
}

/** Reads and checks every row, calling `each` with the rows that are fine. */
async function pass(db: Db, jobId: number, filePath: string, ctx: ImportContext, kind: ReturnType<typeof specOf>, now: () => Date, each: ((values: unknown, key: string, row: number) => Promise<void>) | null, total: number | null, limits: WorkbookLimits): Promise<Tally | { missing: string[] }> {
  const tally: Tally = { rows: 0, problems: [], problemCount: 0, rowsWithProblems: 0 }
  const seen = new Map<string, number>()
  for await (const item of workbookRows(filePath, kind, limits)) {
    if ('missing' in item) return item
    tally.rows++
    const checked = kind.check(item.cells, ctx)
    if (!checked.ok) {
      tally.rowsWithProblems++
      for (const p of checked.problems) {
        tally.problemCount++
        if (tally.problems.length < MAX_KEPT_PROBLEMS) tally.problems.push({ row: item.row, column: p.column, value: maskIdNumbersIn(p.value.slice(0, 200)), key: p.key, params: maskedParams(p.params) })
      }
    } else if (each) {
      // A record listed twice in one workbook is one record; alike visits are separate ones.
      const n = (seen.get(checked.naturalKey) ?? 0) + 1
      seen.set(checked.naturalKey, n)
      if (kind.repeatsAreDistinct) await each(checked.values, `${checked.naturalKey}#${n}`, item.row)
      else if (n === 1) await each(checked.values, checked.naturalKey, item.row)
    }
    if (tally.rows % PROGRESS_EVERY === 0) await progress(db, jobId, { rowsDone: tally.rows, ...(total === null ? {} : { totalRows: total }) }, now)
  }
  return tally
}

export async function runImportJob(db: Db, jobId: number, timeZone: string, now: () => Date, limits: WorkbookLimits = {}): Promise<void> {
  const job = await db.selectFrom('importJobs').selectAll().where('id', '=', jobId).executeTakeFirstOrThrow()
  const kind = specOf(job.kind)
  const actorRow = await db.selectFrom('users').select(['id', 'role', 'countyId']).where('id', '=', job.createdBy).executeTakeFirstOrThrow()
  await db.updateTable('importJobs').set({ status: 'running', heartbeatAt: now() }).where('id', '=', jobId).execute()
  const finish = (set: Updateable<ImportJobsTable>) => db.updateTable('importJobs').set({ ...set, finishedAt: now(), heartbeatAt: now() }).where('id', '=', jobId).execute()
  // Alive, however long a row or a batch takes: a job whose heartbeat stops was cut off (cut-off.ts).
  const heartbeat = setInterval(() => {
    db.updateTable('importJobs').set({ heartbeatAt: now() }).where('id', '=', jobId).where('status', '=', 'running').execute().catch(() => {})
  }, HEARTBEAT_MS)
  heartbeat.unref()
  try {
    const ctx = await importContext(db, job.countyId, { id: actorRow.id, role: actorRow.role, countyId: actorRow.countyId }, job.fileName, now(), timeZone)
    const checked = await pass(db, jobId, job.filePath, ctx, kind, now, null, null, limits)
    if ('missing' in checked) {
      await finish({ status: 'refused', message: JSON.stringify({ key: 'imports.missingColumns', params: { columns: checked.missing } }) })
      return
    }
    const counts = { totalRows: checked.rows, rowsDone: checked.rows, errorCount: checked.problemCount, errors: JSON.stringify(checked.problems) }
    if (job.mode === 'dry_run' || checked.problemCount > 0) {
      await finish({ ...counts, status: job.mode === 'dry_run' ? 'done' : 'refused' })
      return
    }
    // Second pass, for real: one transaction, so a failure midway leaves nothing behind.
    await progress(db, jobId, { rowsDone: 0, totalRows: checked.rows }, now)
    let added = 0
    let already = 0
    await db.transaction().execute(async (trx) => {
      const written = await pass(db, jobId, job.filePath, ctx, kind, now, async (values, key, row) => {
        if (await kind.write(trx, values as never, key, row, ctx)) added++
        else already++
      }, checked.rows, limits)
      if ('missing' in written || written.problemCount > 0) throw new Error('the workbook changed between the two passes')
      already += written.rows - written.rowsWithProblems - added - already
      await recordAudit(trx, { countyId: job.countyId, actorId: job.createdBy, action: 'import.done', subjectType: 'import_job', subjectId: jobId, data: { kind: job.kind, file: job.fileName, sha256: job.fileSha256, rows: checked.rows, added, alreadyThere: already } })
    })
    await finish({ ...counts, status: 'done', added, alreadyThere: already })
  } catch (error) {
    // A workbook refused before it was unpacked, or one that outgrew its worker: said in the reader's words.
    if (error instanceof WorkbookRefused) {
      await finish({ status: 'failed', message: JSON.stringify({ key: error.key, params: error.params }) })
      return
    }
    await finish({ status: 'failed', message: JSON.stringify({ key: 'imports.failed', params: { detail: maskIdNumbersIn(String((error as Error).message ?? error).slice(0, 300)) } }) })
    throw error
  } finally {
    clearInterval(heartbeat)
  }
}
