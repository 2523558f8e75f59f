import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FromSchema } from 'json-schema-to-ts'
import { DEPARTMENTS } from '../db/schema.ts'
import { NotFound, RuleViolation } from '../errors/errors.ts'
import { text, idFilter, bigintId, toId, sentValues } from '../views/forms.ts'
import { fieldErrorsFromRule, fieldErrorsFromValidation, type FieldErrors } from '../views/form-errors.ts'
import { isValidDate } from '../calendar/working-days.ts'
import { resolveStation } from '../org/station.ts'
import { recordFee, reverseFee, settleAgent, settleStation, totalsByDepartment } from './fees.service.ts'
import { dailyReport, listJournal, listSettlements } from './fees.repository.ts'
import { renderReportHtml } from '../printing/reports.ts'
import { EXPORT_FORMATS, type Column } from '../exports/table.ts'
import { recordExport, sendRecordedTable } from '../privacy/export-record.ts'
import { formatLocalDateTime } from '../calendar/local-time.ts'
import { yuanToFen } from './money.ts'

const time = { type: 'string', maxLength: 5, pattern: '^$|^([01][0-9]|2[0-3]):[0-5][0-9]$', hint: 'fees.timeFormat' } as const
const journalQuery = {
  type: 'object',
  properties: { villageId: idFilter, from: text(10), to: text(10), kind: { type: 'string', enum: ['', 'collect', 'refund', 'remit', 'reversal'] }, department: { type: 'string', enum: ['', ...DEPARTMENTS] }, timeFrom: time, timeTo: time, reversals: text(2) },
} as const
const entryBody = {
  type: 'object',
  required: ['kind', 'amount', 'department'],
  properties: { kind: { type: 'string', enum: ['collect', 'refund', 'remit'] }, amount: text(12), department: { type: 'string', enum: DEPARTMENTS }, payer: text(50), caseNo: text(40), note: text(200) },
} as const

type JournalQuery = FromSchema<typeof journalQuery>
const reverseParams = { type: 'object', required: ['id'], properties: { id: bigintId } } as const
const reverseBody = { type: 'object', properties: { reason: text(200) } } as const
const settleBody = { type: 'object', required: ['declared'], properties: { declared: text(14), note: text(300) } } as const

/** The journal's filter from the page's query: blanks mean "any". */
const journalFilter = (villageId: number, from: string, to: string, query: JournalQuery) => ({
  villageId,
  from,
  to,
  kind: query.kind || undefined,
  department: query.department || undefined,
  timeFrom: query.timeFrom,
  timeTo: query.timeTo,
  reversalsOnly: query.reversals === 'on',
})

/** 费用流水 and 扎账: the station's money, entered by agents, read by supervisors. */
export default async function feeRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>()
  const roles = { roles: ['agent', 'supervisor', 'admin'] as const }

  async function renderJournal(request: FastifyRequest, reply: FastifyReply, status: number, query: JournalQuery, form: { values: Record<string, unknown>; errors: FieldErrors } = { values: {}, errors: {} }) {
    const today = app.today()
    const errors: FieldErrors = { ...form.errors }
    const from = query.from && isValidDate(query.from) ? query.from : today
    const to = query.to && isValidDate(query.to) ? query.to : from
    if (query.from && !isValidDate(query.from)) errors.from = request.t('validation.date')
    if (query.to && !isValidDate(query.to)) errors.to = request.t('validation.date')
    const { station, stations } = await resolveStation(app.db, request, toId(query.villageId))
    const entries = await listJournal(app.db, journalFilter(station.id, from, to, query), app.config.timeZone)
    const [, settled] = await listSettlements(app.db, station.id, today)
    const isAgent = request.actor!.role === 'agent'
    const { total } = totalsByDepartment(entries)
    return reply.code(status).viewAsync('fees/journal.hbs', {
      title: request.t('fees.title'),
      station,
      stations: isAgent ? [] : stations,
      query: { ...query, from, to },
      entries: entries.map((e) => ({ ...e, reversible: isAgent && e.day === today && !settled && e.kind !== 'reversal' && !e.reversedBySerial })),
      total: total.toString(),
      canEnter: isAgent && !settled,
      todaySettled: Boolean(settled),
      values: { kind: 'collect', department: 'civil_affairs', ...form.values },
      errors,
      departments: DEPARTMENTS,
    })
  }

  app.get('/fees', { config: roles, schema: { querystring: journalQuery }, attachValidation: true }, async (request, reply) => {
    if (request.validationError) return renderJournal(request, reply, 400, {}, { values: {}, errors: fieldErrorsFromValidation(request.validationError.validation, request.t) })
    return renderJournal(request, reply, 200, request.query)
  })

  app.post('/fees', { config: { roles: ['agent'] }, schema: { body: entryBody }, attachValidation: true }, async (request, reply) => {
    const fail = (errors: FieldErrors) => renderJournal(request, reply, 400, {}, { values: sentValues(request.body), errors })
    if (request.validationError) return fail(fieldErrorsFromValidation(request.validationError.validation, request.t))
    const body = request.body
    const fen = yuanToFen(body.amount)
    if (fen === null) return fail({ amount: request.t('validation.money') })
    if (fen === 0) return fail({ amount: request.t('fees.amountPositive') })
    let caseId: string | null = null
    if (body.caseNo?.trim()) {
      const c = await app.db.selectFrom('cases').select('id').where('caseNo', '=', body.caseNo.trim().toUpperCase()).where('villageId', '=', request.actor!.villageId!).executeTakeFirst()
      if (!c) return fail({ caseNo: request.t('fees.caseUnknown') })
      caseId = c.id
    }
    try {
      await recordFee(app.db, request.actor!, { kind: body.kind, amountFen: BigInt(fen), department: body.department, payer: (body.payer ?? '').trim(), caseId, note: (body.note ?? '').trim() }, app.today(), app.now())
    } catch (error) {
      if (error instanceof RuleViolation) return fail(fieldErrorsFromRule(error, request.t))
      throw error
    }
    return reply.redirect('/fees', 303)
  })

  app.post(
    '/fees/:id/reverse',
    { config: { roles: ['agent'] }, schema: { params: reverseParams, body: reverseBody }, attachValidation: true },
    async (request, reply) => {
      // A malformed id names no entry; it never reaches a bigint column.
      if (request.validationError?.validationContext === 'params') throw new NotFound()
      // The journal has no open form to re-show a refused reason in: whatever was typed is the
      // reason (a value the schema refused is read as plain text), and the service's rules judge it.
      const reason = request.validationError ? String(sentValues(request.body).reason ?? '') : (request.body.reason ?? '')
      try {
        await reverseFee(app.db, request.actor!, request.params.id, reason, app.today(), app.now())
      } catch (error) {
        if (error instanceof RuleViolation) return renderJournal(request, reply, 400, {}, { values: {}, errors: { _form: request.t(error.key, error.params) } })
        throw error
      }
      return reply.redirect('/fees', 303)
    },
  )

  /** The journal as the page shows it, for the exports. */
  async function journalExport(request: FastifyRequest, query: JournalQuery) {
    const from = query.from && isValidDate(query.from) ? query.from : app.today()
    const to = query.to && isValidDate(query.to) ? query.to : from
    const { station } = await resolveStation(app.db, request, toId(query.villageId))
    const entries = await listJournal(app.db, journalFilter(station.id, from, to, query), app.config.timeZone)
    const [, settlement] = from === to ? await listSettlements(app.db, station.id, from) : [[], undefined]
    return { station, from, to, entries, total: totalsByDepartment(entries).total.toString(), settlement }
  }

  for (const format of EXPORT_FORMATS) {
    app.get(`/fees.${format}`, { config: { ...roles, recordsAccess: true }, schema: { querystring: journalQuery } }, async (request, reply) => {
      const { station, from, to, entries } = await journalExport(request, request.query)
      const t = request.t
      const header = (key: string) => t(`fees.csv.${key}`)
      const columns: Column<(typeof entries)[number]>[] = [
        { header: header('serial'), kind: 'text', value: (e) => e.serial },
        { header: header('time'), kind: 'dateTime', value: (e) => formatLocalDateTime(e.enteredAt, app.config.timeZone) },
        { header: header('kind'), kind: 'text', value: (e) => t(`fees.kinds.${e.kind}`) },
        { header: header('department'), kind: 'text', value: (e) => t(`departments.${e.department}`) },
        { header: header('amountFen'), kind: 'money', value: (e) => e.amountFen },
        { header: header('payer'), kind: 'text', value: (e) => e.payer },
        { header: header('caseNo'), kind: 'text', value: (e) => e.caseNo },
        { header: header('enteredBy'), kind: 'text', value: (e) => e.enteredByName },
        { header: header('note'), kind: 'text', value: (e) => e.note },
      ]
      // Payers are named: the journal is recorded as an export of personal data.
      return sendRecordedTable(reply, format, { filename: `fees-${station.code}-${from}-${to}`, sheet: t('xlsx.sheets.fees'), columns, rows: entries }, { db: app.db, actor: request.actor!, exportName: `fees.${format}`, whose: { applicantId: (e) => e.applicantId }, now: () => app.now() })
    })
  }

  app.get('/fees/pdf', { config: { ...roles, recordsAccess: true }, schema: { querystring: journalQuery } }, async (request, reply) => {
    if (!app.printing.available) return reply.redirect(request.url.replace('/fees/pdf', '/fees'), 303)
    const model = await journalExport(request, request.query)
    const html = await renderReportHtml('fee-journal', { locale: request.locale, title: request.t('fees.title'), subtitle: `${model.station.townName} · ${model.station.name} · ${model.from} – ${model.to}`, generatedAt: app.now() }, model, app.config.timeZone)
    const applicantIds = [...new Set(model.entries.flatMap((e) => (e.applicantId ? [e.applicantId] : [])))]
    return reply.sendPdf(html, `fees-${model.station.code}-${model.from}`, { landscape: true, footerText: `${model.station.code} ${model.from}..${model.to}` }, () =>
      recordExport(app.db, request.actor!, { exportName: 'fees.pdf', page: request.url, rowCount: model.entries.length, applicantIds }, app.now()),
    )
  })

  // ---- Settlement ----
  const dayQuery = { type: 'object', properties: { villageId: idFilter, day: text(10) } } as const
  async function renderSettlement(request: FastifyRequest, reply: FastifyReply, status: number, query: FromSchema<typeof dayQuery>, form: { values: Record<string, unknown>; errors: FieldErrors; agentTotals?: object } = { values: {}, errors: {} }) {
    const day = query.day && isValidDate(query.day) ? query.day : app.today()
    const { station, stations } = await resolveStation(app.db, request, toId(query.villageId))
    const [agentRuns, stationRun] = await listSettlements(app.db, station.id, day)
    const entries = await app.db.selectFrom('feeEntries').select(['department', 'amountFen']).where('villageId', '=', station.id).where('day', '=', day).execute()
    const expected = totalsByDepartment(entries)
    return reply.code(status).viewAsync('fees/settlement.hbs', {
      title: request.t('fees.settlementTitle'),
      station,
      stations: request.actor!.role === 'agent' ? [] : stations,
      day,
      isAgent: request.actor!.role === 'agent',
      isToday: day === app.today(),
      agentRuns,
      stationRun,
      expected: { totals: Object.entries(expected.totals).map(([department, fen]) => ({ department, fen })), total: expected.total.toString() },
      values: form.values,
      errors: form.errors,
    })
  }

  app.get('/fees/settlement', { config: roles, schema: { querystring: dayQuery } }, async (request, reply) => renderSettlement(request, reply, 200, request.query))

  app.post('/fees/settlement/agent', { config: { roles: ['agent'] } }, async (request, reply) => {
    await settleAgent(app.db, request.actor!, app.today())
    return reply.redirect('/fees/settlement', 303)
  })

  app.post(
    '/fees/settlement/station',
    { config: { roles: ['agent'] }, schema: { body: settleBody }, attachValidation: true },
    async (request, reply) => {
      const fail = (errors: FieldErrors) => renderSettlement(request, reply, 400, {}, { values: sentValues(request.body), errors })
      if (request.validationError) return fail(fieldErrorsFromValidation(request.validationError.validation, request.t))
      const body = request.body
      const negative = body.declared.trim().startsWith('-')
      const fen = yuanToFen(body.declared.trim().replace(/^-/, ''))
      if (fen === null) return fail({ declared: request.t('validation.money') })
      try {
        await settleStation(app.db, request.actor!, app.today(), BigInt(negative ? -fen : fen), body.note ?? '')
      } catch (error) {
        if (error instanceof RuleViolation) return fail(fieldErrorsFromRule(error, request.t))
        throw error
      }
      return reply.redirect('/fees/settlement', 303)
    },
  )

  // ---- Reports ----
  const reportQuery = { type: 'object', properties: { villageId: idFilter, from: text(10), to: text(10) } } as const
  async function reportModel(request: FastifyRequest, q: FromSchema<typeof reportQuery>) {
    const from = q.from && isValidDate(q.from) ? q.from : app.today()
    const to = q.to && isValidDate(q.to) && q.to >= from ? q.to : from
    const { station, stations } = await resolveStation(app.db, request, toId(q.villageId))
    const rows = await dailyReport(app.db, station.id, from, to)
    const sum = (field: 'collected' | 'refunded' | 'remitted' | 'reversed' | 'net') => rows.reduce((s, r) => s + BigInt(r[field] ?? '0'), 0n).toString()
    return {
      station,
      stations: request.actor!.role === 'agent' ? [] : stations,
      from,
      to,
      rows,
      totals: { collected: sum('collected'), refunded: sum('refunded'), remitted: sum('remitted'), reversed: sum('reversed'), net: sum('net'), entries: rows.reduce((s, r) => s + Number(r.entries), 0) },
    }
  }

  app.get('/fees/report', { config: roles, schema: { querystring: reportQuery } }, async (request, reply) => {
    return reply.viewAsync('fees/report.hbs', { title: request.t('fees.reportTitle'), ...(await reportModel(request, request.query)), pdfAvailable: app.printing.available })
  })

  app.get('/fees/report/pdf', { config: roles, schema: { querystring: reportQuery } }, async (request, reply) => {
    if (!app.printing.available) return reply.redirect(request.url.replace('/fees/report/pdf', '/fees/report'), 303)
    const model = await reportModel(request, request.query)
    const html = await renderReportHtml('fee-report', { locale: request.locale, title: request.t('fees.reportTitle'), subtitle: `${model.station.townName} · ${model.station.name} · ${model.from} – ${model.to}`, generatedAt: app.now() }, model, app.config.timeZone)
    return reply.sendPdf(html, `${model.station.code}-${model.from}-${model.to}`, { landscape: true, footerText: `${model.station.code} ${model.from}..${model.to}` })
  })
}
