import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FromSchema } from 'json-schema-to-ts'
import { RATINGS, STAGES } from '../db/schema.ts'
import { text, idFilter, optionalBigintId, toId, sentValues } from '../views/forms.ts'
import { fieldErrorsFromValidation, type FieldErrors } from '../views/form-errors.ts'
import { scopeOf } from '../accounts/actor.ts'
import { isValidDate } from '../calendar/working-days.ts'
import { listVillagesInScope } from '../org/org.repository.ts'
import { listMatters } from '../matters/matters.repository.ts'
import { renderReportHtml } from '../printing/reports.ts'
import { translator, type Translate } from '../i18n/i18n.ts'
import { ledgerPage, ledgerRows, type LedgerFilter, type LedgerRow } from './ledger.repository.ts'
import { EXPORT_FORMATS, type CellKind, type Column } from '../exports/table.ts'
import { applicantsOfCases, recordExport, sendRecordedTable } from '../privacy/export-record.ts'
import { maskedField } from '../privacy/need-to-see.ts'
import { verifyChain } from './chain.ts'

const ledgerQuerySchema = {
  type: 'object',
  properties: {
    from: text(10), to: text(10), villageId: idFilter, matterId: idFilter, agentId: idFilter,
    stage: { type: 'string', enum: ['', ...STAGES] }, rating: { type: 'string', enum: ['', ...RATINGS] }, overdue: text(2),
    before: optionalBigintId,
  },
} as const
type LedgerQuery = FromSchema<typeof ledgerQuerySchema>

/** The query as sent, for the page's links: its non-blank text values (a refused value may be anything). */
const queryString = (sent: Record<string, unknown>, without?: string) =>
  new URLSearchParams(Object.entries(sent).flatMap(([k, v]) => (typeof v === 'string' && v && k !== without ? [[k, v]] : []))).toString()

export const LEDGER_PAGE = 50
/** A PDF of the ledger is for paper; beyond this the CSV export is the tool. */
export const LEDGER_PDF_MAX_ROWS = 2000

const cells = (row: LedgerRow, t: (k: string) => string) => ({
  ...row,
  serviceFormText: t(`intake.serviceForms.${row.serviceForm}`),
  stageText: t(`stages.${row.stage}`),
  outcomeText: row.outcome ? t(`cases.outcomes.${row.outcome}`) : '',
  ratingText: row.rating ? t(`cases.ratings.${row.rating}`) : '',
})

type LedgerCells = ReturnType<typeof cells>

/** The ledger's columns, for the CSV and the workbook alike. */
export function ledgerColumns(t: Translate): Column<LedgerCells>[] {
  const column = (key: string, kind: CellKind, value: Column<LedgerCells>['value']) => ({ header: t(`ledger.columns.${key}`), kind, value })
  const text = (key: string, value: Column<LedgerCells>['value']) => column(key, 'text', value)
  const date = (key: 'registeredOn' | 'acceptedOn' | 'forwardedOn' | 'completedOn' | 'repliedOn') => column(key, 'date', (r) => r[key])
  return [
    text('caseNo', (r) => r.caseNo), text('villageName', (r) => r.villageName), text('applicantName', (r) => r.applicantName),
    // The export is the station's full record (the page shows no ID numbers): the ID number as text, every digit kept.
    text('applicantIdNumber', (r) => r.applicantIdNumber), text('applicantPhone', (r) => r.applicantPhone),
    text('matterName', (r) => r.matterName), text('serviceForm', (r) => r.serviceFormText), text('agentName', (r) => r.agentName),
    date('registeredOn'), date('acceptedOn'), date('forwardedOn'), date('completedOn'), date('repliedOn'),
    text('stage', (r) => r.stageText), text('outcome', (r) => r.outcomeText), text('rating', (r) => r.ratingText),
  ]
}

/** 台账 for a station, a town or the county: on screen, as CSV and on paper. */
export default async function ledgerRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>()
  const roles = { roles: ['agent', 'supervisor', 'admin'] as const }

  /**
   * The filter of a valid query, the messages about the query as sent, and the query as sent to
   * show back (a refused query is not the schema's type: it is only shown, never filtered on).
   */
  function readFilter(request: FastifyRequest, valid: LedgerQuery | null): { filter: LedgerFilter; errors: FieldErrors; sent: Record<string, unknown> } {
    const sent = sentValues(request.query)
    const errors: FieldErrors = request.validationError ? fieldErrorsFromValidation(request.validationError.validation, request.t) : {}
    for (const field of ['from', 'to'] as const) {
      const value = sent[field]
      if (typeof value === 'string' && value && !isValidDate(value)) errors[field] = request.t('validation.date')
    }
    const query = valid ?? {}
    const filter: LedgerFilter = {
      from: query.from && isValidDate(query.from) ? query.from : undefined,
      to: query.to && isValidDate(query.to) ? query.to : undefined,
      villageId: toId(query.villageId) ?? undefined,
      matterId: toId(query.matterId) ?? undefined,
      agentId: toId(query.agentId) ?? undefined,
      stage: query.stage || undefined,
      rating: query.rating || undefined,
      overdue: query.overdue === 'on',
      today: app.today(),
    }
    return { filter, errors, sent }
  }

  app.get('/ledger', { config: roles, schema: { querystring: ledgerQuerySchema }, attachValidation: true }, async (request, reply) => {
    const valid = request.validationError ? null : request.query
    const { filter, errors, sent } = readFilter(request, valid)
    const scope = scopeOf(request.actor!)
    const rows = Object.keys(errors).length ? [] : await ledgerPage(app.db, scope, filter, valid?.before || null, LEDGER_PAGE + 1)
    const page = rows.slice(0, LEDGER_PAGE)
    const exportQuery = queryString(sent, 'before')
    const agents = await app.db.selectFrom('users').innerJoin('villages', 'villages.id', 'users.villageId').select(['users.id', 'users.displayName', 'villages.name as villageName']).where('users.role', '=', 'agent').where('users.countyId', '=', request.actor!.countyId).where('users.villageId', 'in', (await listVillagesInScope(app.db, scope)).map((v) => v.id).concat(0)).orderBy('villages.code').execute()
    // Phones masked, each with its "show" control; the rows name cases, so their applicants are looked up for the control.
    const applicantOf = new Map((page.length ? await app.db.selectFrom('cases').select(['id', 'applicantId']).where('id', 'in', page.map((r) => r.id)).execute() : []).map((c) => [c.id, c.applicantId]))
    const from = request.url
    return reply.code(Object.keys(errors).length ? 400 : 200).viewAsync('ledger/ledger.hbs', {
      title: request.t('ledger.title'),
      rows: page.map((r) => ({ ...cells(r, request.t), phone: maskedField(applicantOf.get(r.id)!, 'phone', r.applicantPhone, from) })),
      next: rows.length > LEDGER_PAGE ? `${exportQuery}${exportQuery ? '&' : ''}before=${page[page.length - 1].id}` : null,
      exportQuery,
      query: sent,
      errors,
      villages: request.actor!.role === 'agent' ? [] : await listVillagesInScope(app.db, scope),
      matters: await listMatters(app.db, request.actor!.countyId, { includeInactive: true }),
      agents,
      stages: STAGES,
      ratings: RATINGS,
      pdfAvailable: app.printing.available,
    })
  })

  for (const format of EXPORT_FORMATS) {
    app.get(`/ledger.${format}`, { config: { ...roles, recordsAccess: true }, schema: { querystring: ledgerQuerySchema }, attachValidation: true }, async (request, reply) => {
      const { filter, errors } = readFilter(request, request.validationError ? null : request.query)
      if (Object.keys(errors).length) return reply.code(400).type('text/plain; charset=utf-8').send(Object.values(errors).join('\n'))
      const t = translator(request.locale)
      return sendRecordedTable(
        reply,
        format,
        {
          filename: `ledger-${app.today()}`,
          sheet: t('xlsx.sheets.ledger'),
          columns: ledgerColumns(t),
          rows: (async function* () {
            for await (const row of ledgerRows(app.db, scopeOf(request.actor!), filter)) yield cells(row, t)
          })(),
        },
        { db: app.db, actor: request.actor!, exportName: `ledger.${format}`, whose: { caseId: (r) => r.id }, now: () => app.now() },
      )
    })
  }

  app.get('/ledger.pdf', { config: { ...roles, recordsAccess: true }, schema: { querystring: ledgerQuerySchema }, attachValidation: true }, async (request, reply) => {
    const { filter, errors, sent } = readFilter(request, request.validationError ? null : request.query)
    if (Object.keys(errors).length || !app.printing.available) return reply.redirect(`/ledger?${queryString(sent)}`, 303)
    const rows = await ledgerPage(app.db, scopeOf(request.actor!), filter, null, LEDGER_PDF_MAX_ROWS + 1)
    const truncated = rows.length > LEDGER_PDF_MAX_ROWS
    const printed = rows.slice(0, LEDGER_PDF_MAX_ROWS)
    const html = await renderReportHtml(
      'ledger',
      { locale: request.locale, title: request.t('ledger.title'), subtitle: [filter.from, filter.to].filter(Boolean).join(' – '), generatedAt: app.now() },
      { rows: printed.map((r) => cells(r, request.t)), truncated, max: LEDGER_PDF_MAX_ROWS },
      app.config.timeZone,
    )
    return reply.sendPdf(html, `ledger-${app.today()}`, { landscape: true, footerText: `ledger ${app.today()}` }, async () =>
      recordExport(app.db, request.actor!, { exportName: 'ledger.pdf', page: request.url, rowCount: printed.length, applicantIds: await applicantsOfCases(app.db, printed.map((r) => r.id)) }, app.now()),
    )
  })

  // The chains of case events and fee entries, walked on demand.
  app.get('/admin/ledger/verify', { config: { roles: ['admin'] } }, async (request, reply) => {
    const reports = [await verifyChain(app.db, 'case_events', request.actor!.countyId), await verifyChain(app.db, 'fee_entries', request.actor!.countyId)]
    return reply.viewAsync('ledger/verify.hbs', { title: request.t('ledger.verifyTitle'), reports })
  })
}
