import type { FastifyInstance, FastifyRequest } from 'fastify'
import { openIdNumber } from './id-vault.ts'
import { findApplicantInScope } from '../applicants/applicants.repository.ts'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import { scopeOf } from '../accounts/actor.ts'
import { NotFound } from '../errors/errors.ts'
import { addCalendarDays, isValidDate } from '../calendar/working-days.ts'
import { renderReportHtml } from '../printing/reports.ts'
import { text, idParams, sentValues, toRecordId } from '../views/forms.ts'
import { fieldErrorsFromValidation, type FieldErrors } from '../views/form-errors.ts'
import { maskIdNumber, maskName } from './mask.ts'
import { recordAccess } from './access-log.ts'
import { accessesByUser, accessesOfApplicant, frequentRevealers, revealsOutsideOwnCases, type DayRange } from './access-history.ts'
import { describeAccess } from './access-view.ts'

const rangeQuery = { type: 'object', properties: { from: text(10), to: text(10) } } as const

/** The unusual-access page looks back this many days unless told otherwise. */
export const UNUSUAL_DEFAULT_DAYS = 30
/** Rows on the supervisors' lists; the counts say how many there are in all. */
const LIST_LIMIT = 200
/** An access report is for paper: beyond this many accesses it says it was cut. */
export const REPORT_MAX_ROWS = 2000

/**
 * Who saw whose personal data (PIPL): the supervisors' page of unusual access, one person's accesses,
 * and the access report a villager may ask the station for.
 */
export default async function accessRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>()
  const supervisors = { roles: ['supervisor', 'admin'] as const }
  // The station that keeps the file: the village's agent, supervisors and administrators (as /applicants/:id).
  const station = { roles: ['agent', 'supervisor', 'admin'] as const }

  /** The period asked for, the messages about it, and the query as sent to show back. A period whose end is before its start is refused. */
  function readRange(request: FastifyRequest, defaults: DayRange): { range: DayRange; errors: FieldErrors; values: Record<string, unknown> } {
    const sent = sentValues(request.query)
    const errors: FieldErrors = request.validationError ? fieldErrorsFromValidation(request.validationError.validation, request.t) : {}
    const range: DayRange = {}
    for (const field of ['from', 'to'] as const) {
      const value = sent[field]
      if (value === undefined) range[field] = defaults[field]
      else if (typeof value === 'string' && value !== '' && !isValidDate(value)) errors[field] ??= request.t('validation.date')
      else if (typeof value === 'string' && value !== '') range[field] = value
    }
    if (range.from && range.to && range.from > range.to) errors.to ??= request.t('access.toBeforeFrom')
    return { range, errors, values: { from: range.from ?? '', to: range.to ?? '', ...sent } }
  }

  const lastDays = (): DayRange => ({ from: addCalendarDays(app.today(), -(UNUSUAL_DEFAULT_DAYS - 1)), to: app.today() })
  const hasErrors = (errors: FieldErrors) => Object.keys(errors).length > 0

  app.get('/privacy/access', { config: supervisors, schema: { querystring: rangeQuery }, attachValidation: true }, async (request, reply) => {
    const { range, errors, values } = readRange(request, lastDays())
    const scope = scopeOf(request.actor!)
    const threshold = app.config.unusualRevealsPerDay
    const [frequent, outside] = hasErrors(errors)
      ? [[], { entries: [], total: 0 }]
      : await Promise.all([frequentRevealers(app.db, scope, range, app.config.timeZone, threshold), revealsOutsideOwnCases(app.db, scope, range, app.config.timeZone, LIST_LIMIT)])
    return reply.code(hasErrors(errors) ? 400 : 200).viewAsync('privacy/unusual-access.hbs', {
      title: request.t('access.unusualTitle'),
      values,
      errors,
      threshold,
      frequent,
      outside: outside.entries.map((e) => ({ ...describeAccess(e, request.t), applicantId: e.applicantId, applicantName: e.applicantName, place: `${e.townName} · ${e.villageName}`, actorId: e.actorId, day: e.at })),
      outsideTotal: outside.total,
      outsideTruncated: outside.total > outside.entries.length,
    })
  })

  app.get('/privacy/access/users/:id', { config: supervisors, schema: { params: idParams, querystring: rangeQuery }, attachValidation: true }, async (request, reply) => {
    const actor = request.actor!
    // The query's errors are shown on the page; a refused id (validation is attached, so it gets here) names no user: 404.
    const userId = toRecordId(request.params.id) ?? 0
    const user = await app.db.selectFrom('users').select(['id', 'displayName', 'role']).where('id', '=', userId).where('countyId', '=', actor.countyId).executeTakeFirst()
    if (!user) throw new NotFound()
    const { range, errors, values } = readRange(request, lastDays())
    const found = hasErrors(errors) ? { entries: [], total: 0 } : await accessesByUser(app.db, scopeOf(actor), user.id, range, app.config.timeZone, LIST_LIMIT)
    return reply.code(hasErrors(errors) ? 400 : 200).viewAsync('privacy/user-access.hbs', {
      title: request.t('access.userTitle', { name: user.displayName }),
      user,
      values,
      errors,
      lines: found.entries.map((e) => ({ ...describeAccess(e, request.t), applicantId: e.applicantId, applicantName: e.applicantName, place: e.villageName ? `${e.townName} · ${e.villageName}` : '', outside: e.linked === false })),
      total: found.total,
      truncated: found.total > found.entries.length,
    })
  })

  /** The applicant within the station's jurisdiction, with what the report's header says; 404 outside it. */
  async function applicantForReport(request: FastifyRequest, id: number) {
    const applicant = await findApplicantInScope(app.db, request.actor!, id)
    if (!applicant) throw new NotFound()
    return applicant
  }

  /** The report's contents: every access over the period, oldest first as a record is read. */
  async function reportModel(request: FastifyRequest, id: number, range: DayRange) {
    const applicant = await applicantForReport(request, id)
    const { entries, total } = await accessesOfApplicant(app.db, request.actor!.countyId, applicant.id, range, app.config.timeZone, REPORT_MAX_ROWS)
    const t = request.t
    return {
      applicant: { id: applicant.id, maskedName: maskName(applicant.name), maskedIdNumber: maskIdNumber(openIdNumber(applicant.idNumberSealed)) },
      station: `${applicant.townName} · ${applicant.villageName}`,
      stationPhone: applicant.stationPhone,
      period: range.from || range.to ? t('access.period', { from: range.from ?? t('access.periodStart'), to: range.to ?? t('access.periodNow') }) : t('access.periodAll'),
      lines: entries.map((e) => describeAccess(e, t)).reverse(),
      total,
      truncated: total > entries.length,
    }
  }

  app.get('/applicants/:id/access-report', { config: { ...station, recordsAccess: true }, schema: { params: idParams, querystring: rangeQuery }, attachValidation: true }, async (request, reply) => {
    const id = toRecordId(request.params.id) ?? 0
    const { range, errors, values } = readRange(request, {})
    if (hasErrors(errors)) {
      // The station's header only: no access is listed, so none is recorded.
      const applicant = await applicantForReport(request, id)
      return reply.code(400).viewAsync('privacy/access-report.hbs', { title: request.t('access.reportTitle'), applicant: { id: applicant.id, maskedName: maskName(applicant.name) }, values, errors, invalid: true })
    }
    const model = await reportModel(request, id, range)
    // Printing the record of who saw a person's data is itself such an access.
    await recordAccess(app.db, request.actor!, { kind: 'report', applicantId: model.applicant.id, page: request.url.split('?')[0] }, app.now())
    return reply.viewAsync('privacy/access-report.hbs', {
      title: request.t('access.reportTitle'),
      ...model,
      values,
      errors,
      generatedAt: app.now(),
      pdfQuery: new URLSearchParams(Object.entries({ from: range.from ?? '', to: range.to ?? '' }).filter(([, v]) => v)).toString(),
      pdfAvailable: app.printing.available,
    })
  })

  app.get('/applicants/:id/access-report/pdf', { config: { ...station, recordsAccess: true }, schema: { params: idParams, querystring: rangeQuery }, attachValidation: true }, async (request, reply) => {
    const id = toRecordId(request.params.id) ?? 0
    const { range, errors } = readRange(request, {})
    const back = request.url.replace('/access-report/pdf', '/access-report')
    if (!app.printing.available || hasErrors(errors)) {
      await applicantForReport(request, id)
      return reply.redirect(back, 303)
    }
    const model = await reportModel(request, id, range)
    const html = await renderReportHtml('access-report', { locale: request.locale, title: request.t('access.reportTitle'), subtitle: `${model.station} · ${model.applicant.maskedName}`, generatedAt: app.now() }, model, app.config.timeZone)
    await recordAccess(app.db, request.actor!, { kind: 'report', applicantId: model.applicant.id, page: request.url.split('?')[0] }, app.now())
    return reply.sendPdf(html, `access-report-${model.applicant.id}`, { footerText: `access report ${model.applicant.id}` })
  })
}
