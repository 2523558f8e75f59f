import { createHash } from 'node:crypto'
import { mkdir, writeFile } from 'node:fs/promises'
import path from 'node:path'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import multipart from '@fastify/multipart'
import ExcelJS from '../exports/exceljs.ts'
import { IMPORT_KINDS, type ImportKind, type ImportProblem } from '../db/schema.ts'
import { NotFound } from '../errors/errors.ts'
import { idParams } from '../views/forms.ts'
import type { Translate } from '../i18n/i18n.ts'
import { sendXlsx, XLSX_TYPE } from '../exports/xlsx.ts'
import { countedRows } from '../privacy/export-record.ts'
import { cellText } from './cells.ts'
import { specOf } from './kinds.ts'
import { runImportJob, workbookRows } from './run-import.ts'

/** Uploads larger than this are refused: a county's ledger of 100,000 rows is about 8 MB. */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024
/** A running job whose heartbeat is older than this was cut off (the server restarted). */
const STALE_MS = 5 * 60 * 1000

const kindQuery = { type: 'object', required: ['kind'], properties: { kind: { type: 'string', enum: IMPORT_KINDS } } } as const

/** A problem in the reader's words: its message, and the column's name. */
function describe(t: Translate, p: ImportProblem) {
  const params = { ...p.params, ...(p.params?.before ? { before: t(`imports.columns.${p.params.before}`) } : {}) }
  return { row: p.row, column: t(`imports.columns.${p.column}`), value: p.value, message: t(p.key, params) }
}

/**
 * Bringing a county's existing records in from Excel (administrators): templates, upload, a dry
 * run listing every problem, then the import; each a job on the server with a page that follows it.
 */
export default async function importRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>()
  const admin = { roles: ['admin'] as const }
  await app.register(multipart, {
    attachFieldsToBody: 'keyValues',
    limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 5 },
    // The file in memory (at most MAX_UPLOAD_BYTES), and its name for the job's page.
    async onFile(part) {
      ;(part as unknown as { value: Buffer }).value = await part.toBuffer()
      ;(this as unknown as { uploadName?: string }).uploadName = part.filename
    },
  })
  const dir = path.join(app.config.dataDir, 'imports')

  /** Starts a job in the background: the request returns at once, the page follows it. */
  function start(jobId: number) {
    setImmediate(() => {
      runImportJob(app.db, jobId, app.config.timeZone, app.now).catch((error: unknown) => app.log.error({ err: error, jobId }, 'import job failed'))
    })
  }

  async function findJob(request: FastifyRequest, id: number) {
    const job = await app.db
      .selectFrom('importJobs')
      .leftJoin('users', 'users.id', 'importJobs.createdBy')
      .selectAll('importJobs')
      .select('users.displayName as byName')
      .where('importJobs.id', '=', id)
      .where('importJobs.countyId', '=', request.actor!.countyId)
      .executeTakeFirst()
    if (!job) throw new NotFound()
    const running = job.status === 'queued' || job.status === 'running'
    // A job never started (the server stopped right after the upload) has only its creation time.
    const lastSign = new Date(job.heartbeatAt ?? job.createdAt).getTime()
    const cutOff = running && app.now().getTime() - lastSign > STALE_MS
    return { ...job, running: running && !cutOff, cutOff }
  }

  async function renderIndex(request: FastifyRequest, status: number, error: string | null, values: { kind?: string } = {}) {
    const jobs = await app.db
      .selectFrom('importJobs')
      .select(['id', 'kind', 'mode', 'status', 'fileName', 'totalRows', 'added', 'alreadyThere', 'errorCount', 'createdAt'])
      .where('countyId', '=', request.actor!.countyId)
      .orderBy('id', 'desc')
      .limit(20)
      .execute()
    return { status, view: { title: request.t('imports.title'), kinds: IMPORT_KINDS, jobs, error, values, maxMb: MAX_UPLOAD_BYTES / 1024 / 1024 } }
  }

  app.get('/imports', { config: admin }, async (request, reply) => {
    const { view } = await renderIndex(request, 200, null, { kind: 'applicants' })
    return reply.viewAsync('imports/index.hbs', view)
  })

  app.get('/imports/template.xlsx', { config: admin, schema: { querystring: kindQuery } }, async (request, reply) => {
    const kind = specOf(request.query.kind as ImportKind)
    const t = request.t
    const workbook = new ExcelJS.Workbook()
    const sheet = workbook.addWorksheet(t(`imports.kinds.${kind.kind}`), { views: [{ state: 'frozen', ySplit: 1 }] })
    // Every cell is text: an ID number typed into a number cell loses its last digits.
    sheet.columns = kind.columns.map((c) => ({ header: `${t(`imports.columns.${c.key}`)}${c.required ? '*' : ''}`, key: c.key, width: 18, style: { numFmt: '@' } }))
    sheet.getRow(1).font = { bold: true }
    const help = workbook.addWorksheet(t('imports.template.helpSheet'))
    help.columns = [{ header: t('imports.template.column'), width: 16 }, { header: t('imports.template.required'), width: 8 }, { header: t('imports.template.what'), width: 70 }, { header: t('imports.template.example'), width: 24 }]
    help.getRow(1).font = { bold: true }
    for (const c of kind.columns) help.addRow([t(`imports.columns.${c.key}`), t(c.required ? 'common.yes' : 'common.no'), t(`imports.help.${c.key}`), c.example])
    help.addRow([])
    help.addRow([t('imports.template.rules')])
    const buffer = await workbook.xlsx.writeBuffer()
    reply.header('content-disposition', `attachment; filename="import-${kind.kind}.xlsx"`)
    return reply.type(XLSX_TYPE).send(Buffer.from(buffer))
  })

  // The upload's form is read by the multipart hook, after the app-wide CSRF check: checked here,
  // once the form is read and before anything else (as the app-wide check would be).
  app.post('/imports', { config: { ...admin, csrf: 'after-body' }, preValidation: app.csrfProtection }, async (request, reply) => {
    const body = (request.body ?? {}) as { kind?: unknown; file?: unknown }
    const kind = typeof body.kind === 'string' && (IMPORT_KINDS as readonly string[]).includes(body.kind) ? (body.kind as ImportKind) : null
    const file = Buffer.isBuffer(body.file) ? body.file : null
    // An .xlsx is a zip: it starts with PK.
    const problem = !kind ? 'imports.chooseKind' : !file || file.length === 0 ? 'imports.chooseFile' : file.subarray(0, 2).toString('latin1') !== 'PK' ? 'imports.notXlsx' : null
    if (problem) {
      const { view } = await renderIndex(request, 400, request.t(problem), { kind: kind ?? '' })
      return reply.code(400).viewAsync('imports/index.hbs', view)
    }
    const sha256 = createHash('sha256').update(file!).digest('hex')
    await mkdir(dir, { recursive: true, mode: 0o700 })
    const filePath = path.join(dir, `${sha256}.xlsx`)
    await writeFile(filePath, file!, { mode: 0o600 })
    const fileName = (request as unknown as { uploadName?: string }).uploadName || `${kind}.xlsx`
    const { id } = await app.db
      .insertInto('importJobs')
      .values({ countyId: request.actor!.countyId, kind: kind!, mode: 'dry_run', fileName: fileName.slice(0, 200), filePath, fileSha256: sha256, dryRunId: null, createdBy: request.actor!.id, createdAt: app.now() })
      .returning('id')
      .executeTakeFirstOrThrow()
    start(id)
    return reply.redirect(`/imports/${id}`, 303)
  })

  app.get('/imports/:id', { config: admin, schema: { params: idParams } }, async (request, reply) => {
    const job = await findJob(request, request.params.id)
    const t = request.t
    const message = job.message ? (JSON.parse(job.message) as { key: string; params?: Record<string, unknown> }) : null
    const missing = message?.params?.columns as string[] | undefined
    return reply.viewAsync('imports/job.hbs', {
      title: t('imports.jobTitle', { id: job.id }),
      job,
      // Without JavaScript the page follows the job by reloading itself while it runs.
      refreshSeconds: job.running ? 2 : null,
      problems: job.errors.slice(0, 500).map((p) => describe(t, p)),
      moreProblems: Math.max(0, job.errorCount - 500),
      message: message ? t(message.key, { ...message.params, columns: missing?.map((c) => t(`imports.columns.${c}`)).join('、') }) : null,
      // A workbook removed by the retention job (privacy/retention.ts) can no longer be imported: upload it again.
      canImport: job.mode === 'dry_run' && job.status === 'done' && job.errorCount === 0 && job.totalRows > 0 && !job.workbookRemovedAt,
    })
  })

  app.post('/imports/:id/run', { config: admin, schema: { params: idParams } }, async (request, reply) => {
    const dry = await findJob(request, request.params.id)
    if (dry.mode !== 'dry_run' || dry.status !== 'done' || dry.errorCount > 0 || dry.workbookRemovedAt) return reply.redirect(`/imports/${dry.id}`, 303)
    const { id } = await app.db
      .insertInto('importJobs')
      .values({ countyId: dry.countyId, kind: dry.kind, mode: 'import', fileName: dry.fileName, filePath: dry.filePath, fileSha256: dry.fileSha256, dryRunId: dry.id, totalRows: dry.totalRows, createdBy: request.actor!.id, createdAt: app.now() })
      .returning('id')
      .executeTakeFirstOrThrow()
    start(id)
    return reply.redirect(`/imports/${id}`, 303)
  })

  /** The uploaded workbook again, every row with its problems in a last column. */
  app.get('/imports/:id/errors.xlsx', { config: { ...admin, recordsAccess: true }, schema: { params: idParams } }, async (request, reply) => {
    const job = await findJob(request, request.params.id)
    // Its rows went with the workbook; the page says when.
    if (job.workbookRemovedAt) throw new NotFound()
    const kind = specOf(job.kind)
    const t = request.t
    const byRow = new Map<number, string[]>()
    for (const p of job.errors) {
      const d = describe(t, p)
      byRow.set(p.row, [...(byRow.get(p.row) ?? []), `${d.column}：${d.message}`])
    }
    async function* rows() {
      for await (const item of workbookRows(job.filePath, kind)) if (!('missing' in item)) yield item
    }
    return sendXlsx(reply, {
      filename: `import-${job.id}-errors`,
      sheet: t(`imports.kinds.${job.kind}`),
      columns: [
        { header: t('imports.row'), kind: 'number', value: (r: { row: number }) => r.row },
        ...kind.columns.map((c) => ({ header: t(`imports.columns.${c.key}`), kind: 'text' as const, value: (r: { cells: Record<string, unknown> }) => cellText(r.cells[c.key]) })),
        { header: t('imports.errorColumn'), kind: 'text', value: (r: { row: number }) => (byRow.get(r.row) ?? []).join('；') },
      ],
      // The uploaded rows carry names, ID numbers and phones: recorded as an export (of people not yet known by id).
      rows: countedRows(rows(), { db: app.db, actor: request.actor!, exportName: 'import-errors.xlsx', page: request.url, whose: null, now: () => app.now() }),
    })
  })
}
