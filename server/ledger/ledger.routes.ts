import { Readable } from 'node:stream'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { RATINGS, STAGES, type Rating, type Stage } from '../db/schema.ts'
import { text } from '../views/forms.ts'
import { fieldErrorsFromValidation, type FieldErrors } from '../views/form-errors.ts'
import { scopeOf } from '../accounts/actor.ts'
import { isValidDate } from '../calendar/working-days.ts'
import { listVillagesInScope } from '../org/org.repository.ts'
import { listMatters } from '../matters/matters.repository.ts'
import { renderReportHtml } from '../printing/reports.ts'
import { translator } from '../i18n/i18n.ts'
import { ledgerPage, ledgerRows, type LedgerFilter, type LedgerRow } from './ledger.repository.ts'
import { BOM, csvLine } from './csv.ts'
import { verifyChain } from './chain.ts'

const idText = { type: 'string', maxLength: 10, pattern: '^$|^[1-9][0-9]{0,8}$' } as const
const ledgerQuerySchema = {
  type: 'object',
  properties: {
    from: text(10), to: text(10), villageId: idText, matterId: idText, agentId: idText,
    stage: { type: 'string', enum: ['', ...STAGES] }, rating: { type: 'string', enum: ['', ...RATINGS] }, overdue: text(2),
    before: { type: 'string', maxLength: 19, pattern: '^$|^[1-9][0-9]{0,17}$' },
  },
} as const
type LedgerQuery = Partial<Record<'from' | 'to' | 'villageId' | 'matterId' | 'agentId' | 'stage' | 'rating' | 'overdue' | 'before', string>>

export const LEDGER_PAGE = 50
/** A PDF of the ledger is for paper; beyond this the CSV export is the tool. */
export const LEDGER_PDF_MAX_ROWS = 2000

const COLUMNS = ['caseNo', 'villageName', 'applicantName', 'applicantPhone', 'matterName', 'serviceForm', 'agentName', 'registeredOn', 'acceptedOn', 'forwardedOn', 'completedOn', 'repliedOn', 'stage', 'outcome', 'rating'] as const

/** 台账 for a station, a town or the county: on screen, as CSV and on paper. */
export default async function ledgerRoutes(app: FastifyInstance) {
  const roles = { roles: ['agent', 'supervisor', 'admin'] as const }

  function readFilter(request: FastifyRequest): { filter: LedgerFilter; errors: FieldErrors; query: LedgerQuery } {
    const query = (request.query ?? {}) as LedgerQuery
    const errors: FieldErrors = request.validationError ? fieldErrorsFromValidation(request.validationError.validation, request.t) : {}
    if (query.from && !isValidDate(query.from)) errors.from = request.t('validation.date')
    if (query.to && !isValidDate(query.to)) errors.to = request.t('validation.date')
    const filter: LedgerFilter = {
      from: query.from && isValidDate(query.from) ? query.from : undefined,
      to: query.to && isValidDate(query.to) ? query.to : undefined,
      villageId: Number(query.villageId) || undefined,
      matterId: Number(query.matterId) || undefined,
      agentId: Number(query.agentId) || undefined,
      stage: (query.stage || undefined) as Stage | undefined,
      rating: (query.rating || undefined) as Rating | undefined,
      overdue: query.overdue === 'on',
      today: app.today(),
    }
    return { filter, errors, query }
  }

  const cells = (row: LedgerRow, t: (k: string) => string) => ({
    ...row,
    serviceFormText: t(`intake.serviceForms.${row.serviceForm}`),
    stageText: t(`stages.${row.stage}`),
    outcomeText: row.outcome ? t(`cases.outcomes.${row.outcome}`) : '',
    ratingText: row.rating ? t(`cases.ratings.${row.rating}`) : '',
  })

  app.get('/ledger', { config: roles, schema: { querystring: ledgerQuerySchema }, attachValidation: true }, async (request, reply) => {
    const { filter, errors, query } = readFilter(request)
    const scope = scopeOf(request.actor!)
    const rows = Object.keys(errors).length ? [] : await ledgerPage(app.db, scope, filter, query.before || null, LEDGER_PAGE + 1)
    const page = rows.slice(0, LEDGER_PAGE)
    const exportQuery = new URLSearchParams(Object.entries(query).filter(([k, v]) => v && k !== 'before') as [string, string][]).toString()
    const agents = await app.db.selectFrom('users').innerJoin('villages', 'villages.id', 'users.villageId').select(['users.id', 'users.displayName', 'villages.name as villageName']).where('users.role', '=', 'agent').where('users.countyId', '=', request.actor!.countyId).where('users.villageId', 'in', (await listVillagesInScope(app.db, scope)).map((v) => v.id).concat(0)).orderBy('villages.code').execute()
    return reply.code(Object.keys(errors).length ? 400 : 200).viewAsync('ledger/ledger.hbs', {
      title: request.t('ledger.title'),
      rows: page.map((r) => cells(r, request.t)),
      next: rows.length > LEDGER_PAGE ? `${exportQuery}${exportQuery ? '&' : ''}before=${page[page.length - 1].id}` : null,
      exportQuery,
      query,
      errors,
      villages: request.actor!.role === 'agent' ? [] : await listVillagesInScope(app.db, scope),
      matters: await listMatters(app.db, request.actor!.countyId, { includeInactive: true }),
      agents,
      stages: STAGES,
      ratings: RATINGS,
      pdfAvailable: app.printing.available,
    })
  })

  app.get('/ledger.csv', { config: roles, schema: { querystring: ledgerQuerySchema }, attachValidation: true }, async (request, reply) => {
    const { filter, errors } = readFilter(request)
    if (Object.keys(errors).length) return reply.code(400).type('text/plain; charset=utf-8').send(Object.values(errors).join('\n'))
    const t = translator(request.locale)
    const scope = scopeOf(request.actor!)
    async function* lines() {
      yield BOM + csvLine(COLUMNS.map((c) => t(`ledger.columns.${c}`)))
      for await (const row of ledgerRows(app.db, scope, filter)) {
        const r = cells(row, t)
        yield csvLine([r.caseNo, r.villageName, r.applicantName, r.applicantPhone, r.matterName, r.serviceFormText, r.agentName, r.registeredOn, r.acceptedOn, r.forwardedOn, r.completedOn, r.repliedOn, r.stageText, r.outcomeText, r.ratingText])
      }
    }
    reply.header('content-disposition', `attachment; filename="ledger-${app.today()}.csv"`)
    return reply.type('text/csv; charset=utf-8').send(Readable.from(lines()))
  })

  app.get('/ledger.pdf', { config: roles, schema: { querystring: ledgerQuerySchema }, attachValidation: true }, async (request, reply) => {
    const { filter, errors, query } = readFilter(request)
    if (Object.keys(errors).length || !app.printing.available) return reply.redirect(`/ledger?${new URLSearchParams(query as Record<string, string>)}`, 303)
    const rows = await ledgerPage(app.db, scopeOf(request.actor!), filter, null, LEDGER_PDF_MAX_ROWS + 1)
    const truncated = rows.length > LEDGER_PDF_MAX_ROWS
    const html = await renderReportHtml(
      'ledger',
      { locale: request.locale, title: request.t('ledger.title'), subtitle: [filter.from, filter.to].filter(Boolean).join(' – '), generatedAt: app.now() },
      { rows: rows.slice(0, LEDGER_PDF_MAX_ROWS).map((r) => cells(r, request.t)), truncated, max: LEDGER_PDF_MAX_ROWS },
      app.config.timeZone,
    )
    return reply.sendPdf(html, `ledger-${app.today()}`, { landscape: true, footerText: `ledger ${app.today()}` })
  })

  // The chains of case events and fee entries, walked on demand.
  app.get('/admin/ledger/verify', { config: { roles: ['admin'] } }, async (request, reply) => {
    const reports = [await verifyChain(app.db, 'case_events', request.actor!.countyId), await verifyChain(app.db, 'fee_entries', request.actor!.countyId)]
    return reply.viewAsync('ledger/verify.hbs', { title: request.t('ledger.verifyTitle'), reports })
  })
}
