import { createHash, randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { chmod, mkdir, open, readdir, rename, rm, stat } from 'node:fs/promises'
import path from 'node:path'
import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import multipart, { type MultipartFile } from '@fastify/multipart'
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
import { CUT_OFF_MS, failCutOffImportJobs } from './cut-off.ts'

/** Uploads larger than this are refused: a county's ledger of 100,000 rows is about 8 MB. */
export const MAX_UPLOAD_BYTES = 20 * 1024 * 1024

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
  const dir = path.join(app.config.dataDir, 'imports')
  const limits = { heapMb: app.config.importWorkerHeapMb }

  // Jobs a previous process left queued or running are failed at start, and once more when a job
  // cut off just before this start has gone quiet long enough to tell (cut-off.ts).
  let again: NodeJS.Timeout | undefined
  app.addHook('onReady', async () => {
    const failed = await failCutOffImportJobs(app.db, app.now())
    if (failed) app.log.warn({ failed }, 'import jobs cut off by a restart marked failed')
    await removeStaleUploads()
    again = setTimeout(() => {
      failCutOffImportJobs(app.db, app.now()).catch((error: unknown) => app.log.error({ err: error }, 'marking cut-off import jobs failed'))
    }, CUT_OFF_MS + 1000)
    again.unref()
  })
  app.addHook('onClose', async () => clearTimeout(again))

  /**
   * Uploads a crash cut off mid-way (upload-*.part): no job names them, so retention would never
   * remove them, and they hold ID numbers in clear. An hour old, no instance is still writing one.
   */
  async function removeStaleUploads() {
    const names = await readdir(dir).catch(() => [] as string[])
    const cutOff = Date.now() - 60 * 60 * 1000
    for (const name of names.filter((n) => /^upload-.*\.part$/.test(n))) {
      const file = path.join(dir, name)
      const info = await stat(file).catch(() => null)
      if (info && info.mtimeMs < cutOff) await rm(file, { force: true })
    }
  }

  /** Starts a job in the background: the request returns at once, the page follows it. */
  function start(jobId: number) {
    setImmediate(() => {
      runImportJob(app.db, jobId, app.config.timeZone, app.now, limits).catch((error: unknown) => app.log.error({ err: error, jobId }, 'import job failed'))
    })
  }

  /**
   * The form's CSRF token checked as the app-wide hook checks it (app.ts), for the upload whose
   * token comes inside its multipart body: the same plugin's check, handed the token read so far.
   */
  function checkCsrf(request: FastifyRequest, token: string | undefined): Promise<void> {
    return new Promise((resolve, reject) => {
      const asRead = { cookies: request.cookies, headers: request.headers, body: token ? { _csrf: token } : {}, log: request.log }
      app.csrfProtection(asRead as unknown as FastifyRequest, { send: reject } as unknown as FastifyReply, () => resolve())
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
    const cutOff = running && app.now().getTime() - lastSign > CUT_OFF_MS
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

  /**
   * The upload, in its own scope: only this route takes multipart. Nothing of the body is read
   * before the sign-in and the administrator's role are checked (auth's preHandler, which runs
   * before this handler: an anonymous or non-admin upload is refused with its 19 MB unread), and
   * not the file before the form's CSRF token (sent first by the form) is checked. The file goes
   * to disk as it arrives, hashed on the way, never whole in memory; past MAX_UPLOAD_BYTES it is
   * refused and the part written is deleted.
   */
  await app.register(async (scope) => {
    await scope.register(multipart, { limits: { fileSize: MAX_UPLOAD_BYTES, files: 1, fields: 5, fieldSize: 1024, parts: 6 } })

    scope.post('/imports', { config: { ...admin, csrf: 'after-body' } }, async (request, reply) => {
      const fields: { _csrf?: string; kind?: string } = {}
      let saved: { filePath: string; sha256: string; name: string } | null = null
      let csrfChecked = false
      try {
        // A form sent another way has no file: its token is checked all the same, then it is refused.
        if (!request.isMultipart()) Object.assign(fields, { _csrf: (request.body as { _csrf?: string } | undefined)?._csrf })
        else for await (const part of request.parts()) {
          if (part.type === 'field') {
            if (part.fieldname === '_csrf' || part.fieldname === 'kind') fields[part.fieldname] = String(part.value)
            continue
          }
          if (saved) continue
          await checkCsrf(request, fields._csrf)
          csrfChecked = true
          saved = await saveUpload(part)
        }
        if (!csrfChecked) await checkCsrf(request, fields._csrf)
      } catch (error) {
        if (saved) await rm(saved.filePath, { force: true })
        throw error
      }
      const kind = fields.kind && (IMPORT_KINDS as readonly string[]).includes(fields.kind) ? (fields.kind as ImportKind) : null
      // An .xlsx is a zip: it starts with PK.
      const problem = !kind ? 'imports.chooseKind' : !saved ? 'imports.chooseFile' : !(await startsWithPk(saved.filePath)) ? 'imports.notXlsx' : null
      if (problem) {
        // Still under its upload's own name: an earlier job's workbook of the same content is not touched.
        if (saved) await rm(saved.filePath, { force: true })
        const { view } = await renderIndex(request, 400, request.t(problem), { kind: kind ?? '' })
        return reply.code(400).viewAsync('imports/index.hbs', view)
      }
      const { sha256, name } = saved!
      const fileName = name || `${kind}.xlsx`
      // The same workbook uploaded twice is one file, <sha256>.xlsx, which each of its jobs names.
      const filePath = path.join(dir, `${sha256}.xlsx`)
      await rename(saved!.filePath, filePath)
      let id: number
      try {
        ;({ id } = await app.db
          .insertInto('importJobs')
          .values({ countyId: request.actor!.countyId, kind: kind!, mode: 'dry_run', fileName: fileName.slice(0, 200), filePath, fileSha256: sha256, dryRunId: null, createdBy: request.actor!.id, createdAt: app.now() })
          .returning('id')
          .executeTakeFirstOrThrow())
      } catch (error) {
        // No job names it: nothing would ever remove it (retention goes by jobs), and it holds ID numbers in clear.
        const named = await app.db.selectFrom('importJobs').select('id').where('filePath', '=', filePath).executeTakeFirst().catch(() => ({ id: 0 }))
        if (!named) await rm(filePath, { force: true })
        throw error
      }
      start(id)
      return reply.redirect(`/imports/${id}`, 303)
    })
  })

  /** Streams an uploaded file to DATA_DIR/imports (0700) under a name of its own (0600), hashed on the way; null when empty. */
  async function saveUpload(part: MultipartFile): Promise<{ filePath: string; sha256: string; name: string } | null> {
    await mkdir(dir, { recursive: true, mode: 0o700 })
    await chmod(dir, 0o700)
    const partial = path.join(dir, `upload-${randomUUID()}.part`)
    const hash = createHash('sha256')
    let size = 0
    const hashing = new Transform({
      transform(chunk: Buffer, _encoding, done) {
        hash.update(chunk)
        size += chunk.length
        done(null, chunk)
      },
    })
    try {
      await pipeline(part.file, hashing, createWriteStream(partial, { mode: 0o600, flags: 'wx' }))
      // Cut at the limit by the multipart reader: refused (413) rather than imported half.
      if (part.file.truncated) throw Object.assign(new Error('upload too large'), { statusCode: 413, code: 'APP_UPLOAD_TOO_LARGE' })
    } catch (error) {
      await rm(partial, { force: true })
      throw error
    }
    if (size === 0) {
      await rm(partial, { force: true })
      return null
    }
    return { filePath: partial, sha256: hash.digest('hex'), name: part.filename }
  }

  async function startsWithPk(filePath: string): Promise<boolean> {
    const file = await open(filePath, 'r')
    try {
      const head = Buffer.alloc(2)
      await file.read(head, 0, 2, 0)
      return head.toString('latin1') === 'PK'
    } finally {
      await file.close()
    }
  }

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
    // Its rows went with the workbook; the page says when. A failed job's workbook (a refused
    // bomb, one cut off) is not read again: it has no problems to mark.
    if (job.workbookRemovedAt || job.status === 'failed') throw new NotFound()
    const kind = specOf(job.kind)
    const t = request.t
    const byRow = new Map<number, string[]>()
    for (const p of job.errors) {
      const d = describe(t, p)
      byRow.set(p.row, [...(byRow.get(p.row) ?? []), `${d.column}：${d.message}`])
    }
    async function* rows() {
      for await (const item of workbookRows(job.filePath, kind, limits)) if (!('missing' in item)) yield item
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
