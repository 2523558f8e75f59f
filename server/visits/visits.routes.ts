import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FromSchema } from 'json-schema-to-ts'
import { VISIT_PURPOSES } from '../db/schema.ts'
import { text, toId, idFilter, optionalId, sentValues } from '../views/forms.ts'
import { fieldErrorsFromRule, fieldErrorsFromValidation, type FieldErrors } from '../views/form-errors.ts'
import { RuleViolation } from '../errors/errors.ts'
import { recordVisit } from './visits.service.ts'
import { resolveStation } from '../org/station.ts'
import { EXPORT_FORMATS, type Column } from '../exports/table.ts'
import { recordExport, sendRecordedTable } from '../privacy/export-record.ts'
import { maskPhone } from '../privacy/mask.ts'
import { renderReportHtml } from '../printing/reports.ts'
import { formatLocalDateTime } from '../calendar/local-time.ts'
import { isValidMonth, MONTH_PATTERN } from '../calendar/working-days.ts'
import { monthBounds, monthOf } from '../supervision/months.ts'

const visitBody = {
  type: 'object',
  required: ['people', 'purpose'],
  properties: {
    time: { type: 'string', maxLength: 5, pattern: '^$|^([01][0-9]|2[0-3]):[0-5][0-9]$', hint: 'fees.timeFormat' },
    people: { type: 'integer', minimum: 1, maximum: 200 },
    purpose: { type: 'string', enum: VISIT_PURPOSES },
    applicantId: optionalId,
    told: text(1000),
    caseNo: text(40),
  },
} as const

const monthQuery = { type: 'object', properties: { villageId: idFilter, month: { type: 'string', maxLength: 7, pattern: `^$|${MONTH_PATTERN}`, hint: 'stats.monthFormat' } } } as const
type MonthQuery = FromSchema<typeof monthQuery>

/** 接待登记: every visit in batches (批次) and people (人次), with the monthly count. */
export default async function visitRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>()
  const roles = { roles: ['agent', 'supervisor', 'admin'] as const }

  async function monthModel(request: FastifyRequest, query: MonthQuery) {
    const month = isValidMonth(query.month) ? query.month : monthOf(app.today())
    const { station, stations } = await resolveStation(app.db, request, toId(query.villageId))
    const { first, next } = monthBounds(month)
    const visits = await app.db
      .selectFrom('visits')
      .leftJoin('applicants', 'applicants.id', 'visits.applicantId')
      .leftJoin('cases', 'cases.id', 'visits.caseId')
      .innerJoin('users', 'users.id', 'visits.recordedBy')
      .select(['visits.id', 'visits.visitedAt', 'visits.people', 'visits.purpose', 'visits.told', 'applicants.name as applicantName', 'applicants.id as applicantId', 'cases.caseNo', 'cases.id as caseId', 'users.displayName as recordedByName'])
      .where('visits.villageId', '=', station.id)
      .where('visits.visitDate', '>=', first)
      .where('visits.visitDate', '<', next)
      .orderBy('visits.visitedAt', 'desc')
      .limit(1000)
      .execute()
    const stats = await app.db
      .selectFrom('visits')
      .select((eb) => ['purpose', eb.fn.countAll<string>().as('batches'), eb.fn.sum<string>('people').as('people')])
      .where('villageId', '=', station.id)
      .where('visitDate', '>=', first)
      .where('visitDate', '<', next)
      .groupBy('purpose')
      .execute()
    return {
      station,
      stations: request.actor!.role === 'agent' ? [] : stations,
      month,
      visits,
      stats: stats.map((s) => ({ ...s, batches: Number(s.batches), people: Number(s.people) })),
      totals: { batches: stats.reduce((n, s) => n + Number(s.batches), 0), people: stats.reduce((n, s) => n + Number(s.people), 0) },
    }
  }

  async function render(request: FastifyRequest, reply: FastifyReply, status: number, query: MonthQuery, form: { values: Record<string, unknown>; errors: FieldErrors } = { values: {}, errors: {} }) {
    const model = await monthModel(request, query)
    // The picker tells people apart by the phone's last digits: the full number is not needed to record a visit.
    const applicants = request.actor!.role === 'agent' ? (await app.db.selectFrom('applicants').select(['id', 'name', 'phone']).where('villageId', '=', model.station.id).orderBy('name').limit(500).execute()).map((a) => ({ ...a, phone: maskPhone(a.phone) })) : []
    return reply.code(status).viewAsync('visits/visits.hbs', {
      title: request.t('visits.title'),
      ...model,
      pdfAvailable: app.printing.available,
      canRecord: request.actor!.role === 'agent',
      applicants,
      purposes: VISIT_PURPOSES,
      values: { people: '1', purpose: 'consult', ...form.values },
      errors: form.errors,
    })
  }

  app.get('/visits', { config: roles, schema: { querystring: monthQuery } }, async (request, reply) => render(request, reply, 200, request.query))

  for (const format of EXPORT_FORMATS) {
    app.get(`/visits.${format}`, { config: { ...roles, recordsAccess: true }, schema: { querystring: monthQuery } }, async (request, reply) => {
      const m = await monthModel(request, request.query)
      const t = request.t
      const columns: Column<(typeof m.visits)[number]>[] = [
        { header: t('fees.time'), kind: 'dateTime', value: (v) => formatLocalDateTime(v.visitedAt, app.config.timeZone) },
        { header: t('visits.people'), kind: 'number', value: (v) => v.people },
        { header: t('visits.purpose'), kind: 'text', value: (v) => t(`visits.purposes.${v.purpose}`) },
        { header: t('cases.applicant'), kind: 'text', value: (v) => v.applicantName },
        { header: t('visits.told'), kind: 'text', value: (v) => v.told },
        { header: t('cases.caseNo'), kind: 'text', value: (v) => v.caseNo },
        { header: t('fees.enteredBy'), kind: 'text', value: (v) => v.recordedByName },
      ]
      return sendRecordedTable(reply, format, { filename: `visits-${m.station.code}-${m.month}`, sheet: t('xlsx.sheets.visits'), columns, rows: m.visits }, { db: app.db, actor: request.actor!, exportName: `visits.${format}`, whose: { applicantId: (v) => v.applicantId }, now: () => app.now() })
    })
  }

  app.get('/visits/pdf', { config: { ...roles, recordsAccess: true }, schema: { querystring: monthQuery } }, async (request, reply) => {
    if (!app.printing.available) return reply.redirect(request.url.replace('/visits/pdf', '/visits'), 303)
    const m = await monthModel(request, request.query)
    const html = await renderReportHtml('visits', { locale: request.locale, title: request.t('visits.monthStats', { month: m.month }), subtitle: `${m.station.townName} · ${m.station.name}`, generatedAt: app.now() }, m, app.config.timeZone)
    const applicantIds = [...new Set(m.visits.flatMap((v) => (v.applicantId ? [v.applicantId] : [])))]
    return reply.sendPdf(html, `visits-${m.station.code}-${m.month}`, { landscape: true, footerText: `${m.station.code} ${m.month}` }, () =>
      recordExport(app.db, request.actor!, { exportName: 'visits.pdf', page: request.url, rowCount: m.visits.length, applicantIds }, app.now()),
    )
  })

  app.post('/visits', { config: { roles: ['agent'] }, schema: { body: visitBody }, attachValidation: true }, async (request, reply) => {
    const fail = (errors: FieldErrors) => render(request, reply, 400, {}, { values: sentValues(request.body), errors })
    if (request.validationError) return fail(fieldErrorsFromValidation(request.validationError.validation, request.t))
    const body = request.body
    try {
      await recordVisit(app.db, request.actor!, { time: body.time ?? '', people: body.people, purpose: body.purpose, applicantId: toId(body.applicantId), told: body.told ?? '', caseNo: body.caseNo ?? '' }, app.today(), app.now(), app.config.timeZone)
    } catch (error) {
      if (error instanceof RuleViolation) return fail(fieldErrorsFromRule(error, request.t))
      throw error
    }
    return reply.redirect('/visits', 303)
  })
}
