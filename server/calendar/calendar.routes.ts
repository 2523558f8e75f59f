import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FromSchema } from 'json-schema-to-ts'
import { loadCalendar, listDaysBetween, listRegionalHolidays } from './calendar.repository.ts'
import { computeDueDate, isValidDate, isWorkingDay, addCalendarDays, weekday, type Pause } from './working-days.ts'
import { explanationView } from './explain.ts'
import { setCalendarDay, importCalendarYear, CalendarImportRefused, calendarYearSchema, addRegionalHoliday, removeRegionalHoliday } from './calendar.service.ts'
import { submitForm, text, sentValues, idParams } from '../views/forms.ts'
import { formatLocalDateTime } from './local-time.ts'
import { fieldErrorsFromRule, type FieldErrors } from '../views/form-errors.ts'
import { RuleViolation } from '../errors/errors.ts'

const deadlineQuery = {
  type: 'object',
  properties: {
    start: { type: 'string', maxLength: 10 },
    days: { type: 'string', maxLength: 4 },
    unit: { type: 'string', enum: ['working', 'calendar'] },
    pause: { type: 'array', maxItems: 10, items: { type: 'string', maxLength: 22 } },
  },
} as const

type DeadlineQuery = FromSchema<typeof deadlineQuery>

const MAX_DAYS = 365
const MAX_PAUSE_DAYS = 366

/** Reads the calculator's parameters; returns field messages instead of throwing. */
function readDeadlineQuery(query: DeadlineQuery, t: FastifyRequest['t']) {
  const errors: FieldErrors = {}
  const start = (query.start ?? '').trim()
  const daysText = (query.days ?? '').trim()
  if (!isValidDate(start)) errors.start = t('validation.date')
  const days = Number(daysText)
  if (!/^\d{1,3}$/.test(daysText) || days > MAX_DAYS) errors.days = t('calendar.daysRange', { max: MAX_DAYS })
  const pauses: Pause[] = []
  for (const p of query.pause ?? []) {
    const [from, to] = p.split('..')
    // A pause longer than a year is no pause: it left no working day to count and threw (a public 500).
    if (!isValidDate(from) || !isValidDate(to) || to < from || to > addCalendarDays(from, MAX_PAUSE_DAYS)) errors.pause = t('calendar.pauseFormat')
    else pauses.push({ from, to })
  }
  return { errors, start, days, unit: query.unit ?? 'working', pauses }
}

export default async function calendarRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>()
  const today = () => app.today()

  // Public: anyone may compute a due date and see why it is that date.
  app.get('/deadline', { config: { public: true }, schema: { querystring: deadlineQuery } }, async (request, reply) => {
    const query = request.query
    const asked = query.start !== undefined || query.days !== undefined
    const values = { start: query.start ?? today(), days: query.days ?? '3', unit: query.unit ?? 'working' }
    if (!asked) return reply.viewAsync('calendar/deadline.hbs', { title: request.t('calendar.calculatorTitle'), values, errors: {} })
    const parsed = readDeadlineQuery(query, request.t)
    if (Object.keys(parsed.errors).length > 0) {
      return reply.code(400).viewAsync('calendar/deadline.hbs', { title: request.t('calendar.calculatorTitle'), values, errors: parsed.errors })
    }
    // Staff count on their county's calendar (its own days off included); the public on the national one.
    const calendar = await loadCalendar(app.db, request.actor?.countyId)
    const result = computeDueDate(calendar, parsed.start, parsed.days, parsed.unit, parsed.pauses)
    return reply.viewAsync('calendar/deadline.hbs', {
      title: request.t('calendar.calculatorTitle'),
      values,
      errors: {},
      pauses: parsed.pauses,
      result: explanationView(result, request.t),
    })
  })

  app.get('/api/v1/deadline', { config: { public: true }, schema: { querystring: deadlineQuery }, attachValidation: true }, async (request, reply) => {
    if (request.validationError) return reply.code(400).send({ error: request.t('calendar.apiBadParams') })
    const parsed = readDeadlineQuery(request.query, request.t)
    const problems = Object.entries(parsed.errors)
    if (problems.length > 0) return reply.code(400).send({ error: problems.map(([field, message]) => `${field}: ${message}`).join(' ') })
    const calendar = await loadCalendar(app.db)
    const result = computeDueDate(calendar, parsed.start, parsed.days, parsed.unit, parsed.pauses)
    return {
      start: result.start,
      days: result.days,
      due: result.due,
      counted: result.counted,
      skipped: result.skipped.filter((s) => s.reason !== 'paused').map((s) => (s.reason === 'holiday' ? { date: s.date, reason: s.reason, name: s.name } : { date: s.date, reason: s.reason })),
    }
  })

  app.get('/schemas/calendar-year.json', { config: { public: true } }, async () => calendarYearSchema)

  const admin = { roles: ['admin'] as const }
  const monthQuery = {
    type: 'object',
    properties: { year: { type: 'integer', minimum: 2000, maximum: 2100 }, month: { type: 'integer', minimum: 1, maximum: 12 }, moved: { type: 'integer', minimum: 0, maximum: 10000000 } },
  } as const

  type Form = { values: Record<string, unknown>; errors: FieldErrors }
  const noForm: Form = { values: {}, errors: {} }

  async function renderMonth(request: FastifyRequest, reply: FastifyReply, year: number, month: number, status = 200, form: Form = noForm, regionalForm: Form = noForm, moved?: number) {
    const actor = request.actor!
    const first = `${year}-${String(month).padStart(2, '0')}-01`
    const last = addCalendarDays(month === 12 ? `${year + 1}-01-01` : `${year}-${String(month + 1).padStart(2, '0')}-01`, -1)
    const [calendar, overrides, regional] = await Promise.all([loadCalendar(app.db, actor.countyId), listDaysBetween(app.db, first, last), regionalHolidayRows(actor.countyId)])
    const byDate = new Map(overrides.map((o) => [o.date, o]))
    // Weeks start on Monday, as on Chinese wall calendars.
    const lead = (weekday(first) + 6) % 7
    const cells: ({ date: string; day: number; working: boolean; kind: string; name: string; regional: boolean } | null)[] = Array(lead).fill(null)
    for (let d = first; d <= last; d = addCalendarDays(d, 1)) {
      const o = byDate.get(d)
      const own = calendar.get(d)?.regional ? calendar.get(d) : undefined
      cells.push({ date: d, day: Number(d.slice(8)), working: isWorkingDay(calendar, d), kind: own ? 'holiday regional' : (o?.kind ?? ''), name: own?.name ?? o?.name ?? '', regional: Boolean(own) })
    }
    while (cells.length % 7) cells.push(null)
    const weeks = []
    for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7))
    const prev = month === 1 ? { year: year - 1, month: 12 } : { year, month: month - 1 }
    const next = month === 12 ? { year: year + 1, month: 1 } : { year, month: month + 1 }
    return reply.code(status).viewAsync('calendar/month.hbs', {
      title: request.t('calendar.adminTitle'),
      year,
      month,
      weeks,
      prev,
      next,
      overrides,
      values: { date: first, setting: 'holiday', name: '', ...form.values },
      errors: form.errors,
      regional,
      regionalValues: { date: first, name: '', ...regionalForm.values },
      regionalErrors: regionalForm.errors,
      moved: moved === undefined ? null : moved > 0 ? request.t('calendar.casesMoved', { count: moved }) : request.t('calendar.noCasesMoved'),
    })
  }

  async function regionalHolidayRows(countyId: number) {
    const rows = await listRegionalHolidays(app.db, countyId)
    const names = new Map((await app.db.selectFrom('users').select(['id', 'displayName']).where('id', 'in', [0, ...rows.map((r) => r.addedBy ?? 0)]).execute()).map((u) => [u.id, u.displayName]))
    return rows.map((r) => ({ ...r, addedByName: names.get(r.addedBy ?? 0) ?? '—', addedAtText: formatLocalDateTime(r.addedAt, app.config.timeZone) }))
  }

  const monthUrl = (y: number, m: number, moved: number) => `/admin/calendar?year=${y}&month=${m}&moved=${moved}`

  app.get('/admin/calendar', { config: admin, schema: { querystring: monthQuery } }, async (request, reply) => {
    const q = request.query
    const [y, m] = today().split('-').map(Number)
    return renderMonth(request, reply, q.year ?? y, q.month ?? m, 200, noForm, noForm, q.moved)
  })

  const dayBody = {
    type: 'object',
    required: ['date', 'setting'],
    properties: { date: { type: 'string', maxLength: 10 }, setting: { type: 'string', enum: ['holiday', 'workday', 'default'] }, name: text(50) },
  } as const

  app.post('/admin/calendar/days', { config: admin, schema: { body: dayBody }, attachValidation: true }, async (request, reply) => {
    const sent = sentValues(request.body)
    // The month shown is the one of the date typed, valid or not.
    const [y, m] = isValidDate(sent.date) ? sent.date.split('-').map(Number) : today().split('-').map(Number)
    return submitForm(request, reply, {
      render: (status, errors) => renderMonth(request, reply, y, m, status, { values: sent, errors }),
      action: () => setCalendarDay(app.db, request.actor!, request.body.date, request.body.setting, request.body.name ?? '', app.now()),
      done: (moved) => reply.redirect(monthUrl(y, m, moved), 303),
    })
  })

  // A county's own statutory days off: its administrator adds and removes them; removal is recorded.
  const regionalBody = {
    type: 'object',
    required: ['date', 'name'],
    properties: { date: { type: 'string', maxLength: 10 }, name: text(50) },
  } as const

  app.post('/admin/calendar/regional', { config: admin, schema: { body: regionalBody }, attachValidation: true }, async (request, reply) => {
    const sent = sentValues(request.body)
    const [y, m] = isValidDate(sent.date) ? sent.date.split('-').map(Number) : today().split('-').map(Number)
    return submitForm(request, reply, {
      render: (status, errors) => renderMonth(request, reply, y, m, status, noForm, { values: sent, errors }),
      action: () => addRegionalHoliday(app.db, request.actor!, request.body.date.trim(), request.body.name, app.now()),
      done: (moved) => reply.redirect(monthUrl(y, m, moved), 303),
    })
  })

  app.post('/admin/calendar/regional/:id/remove', { config: admin, schema: { params: idParams }, attachValidation: true }, async (request, reply) => {
    const [y, m] = today().split('-').map(Number)
    const { id } = request.params
    return submitForm(request, reply, {
      render: (status, errors) => renderMonth(request, reply, y, m, status, noForm, { values: {}, errors: errors._form ? errors : { _form: request.t('calendar.regionalGone') } }),
      action: () => removeRegionalHoliday(app.db, request.actor!, id, app.now()),
      done: (moved) => reply.redirect(monthUrl(y, m, moved), 303),
    })
  })

  const importBody = {
    type: 'object',
    required: ['year', 'json'],
    properties: { year: { type: 'integer', minimum: 2000, maximum: 2100 }, json: { type: 'string', minLength: 1, maxLength: 100000 } },
  } as const

  const renderImport = (request: FastifyRequest, reply: FastifyReply, status: number, values: Record<string, unknown>, errors: FieldErrors, problems: { path: string; message: string }[] = [], imported?: number) =>
    reply.code(status).viewAsync('calendar/import.hbs', { title: request.t('calendar.importTitle'), values, errors, problems, imported })

  app.get('/admin/calendar/import', { config: admin }, async (request, reply) => renderImport(request, reply, 200, { year: Number(today().slice(0, 4)) + 1 }, {}))

  app.post('/admin/calendar/import', { config: admin, schema: { body: importBody }, attachValidation: true }, async (request, reply) => {
    if (request.validationError) return submitForm(request, reply, { render: (s, e) => renderImport(request, reply, s, sentValues(request.body), e), action: async () => 0, done: () => null })
    const body = request.body
    let data: unknown
    try {
      data = JSON.parse(body.json)
    } catch (error) {
      return renderImport(request, reply, 400, body, { json: request.t('calendar.notJson', { detail: (error as Error).message }) })
    }
    // Accept either one year's object or the whole file with {"years": {"2027": {...}}}.
    const years = (data as { years?: Record<string, unknown> })?.years
    if (years && typeof years === 'object') data = years[String(body.year)] ?? data
    try {
      const count = await importCalendarYear(app.db, request.actor!, body.year, data, app.now())
      return renderImport(request, reply, 200, body, {}, [], count)
    } catch (error) {
      if (error instanceof CalendarImportRefused) return renderImport(request, reply, 400, body, { json: request.t('calendar.importRefused') }, error.problems)
      if (error instanceof RuleViolation) return renderImport(request, reply, 400, body, fieldErrorsFromRule(error, request.t))
      throw error
    }
  })
}
