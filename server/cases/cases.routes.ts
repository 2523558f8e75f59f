import { randomUUID } from 'node:crypto'
import { idNumberHashes, openIdNumber } from '../privacy/id-vault.ts'
import { maskIdNumber, maskPhone } from '../privacy/mask.ts'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import { sql } from 'kysely'
import { COUNTER_CHANNELS, CASE_SERVICE_FORMS, STAGES, VULNERABLE, OUTCOMES, RATINGS } from '../db/schema.ts'
import { NotFound, RuleViolation } from '../errors/errors.ts'
import { text, toRecordId } from '../views/forms.ts'
import { fieldErrorsFromRule, fieldErrorsFromValidation, type FieldErrors } from '../views/form-errors.ts'
import { scopeOf } from '../accounts/actor.ts'
import { inScope } from '../accounts/scope.ts'
import { loadCalendar } from '../calendar/calendar.repository.ts'
import { isValidDate } from '../calendar/working-days.ts'
import { runningDue } from './case-deadlines.ts'
import { listMatters, findMatter } from '../matters/matters.repository.ts'
import { CASE_NO_PATTERN, OPEN_STAGES } from './case-rules.ts'
import { ACTIONS, STEP_FORM_FIELDS, type Action } from './actions/registry.ts'
import { StepInputInvalid } from './actions/action.ts'
import { CASE_COLUMNS, findCaseInScope, findRating, listAssists, listCaseEvents, listExtensions } from './cases.repository.ts'
import { nameContains } from '../applicants/name-search.ts'
import { flagsOf, isOpenAssist, postingState } from './case-flags.ts'
import { intakeCase, intakeInputProblems, type IntakeInput } from './intake.ts'
import { performAction } from './transition.ts'
import { caseViewModel, seesRating, isEndingStep, outstandingHandback, stepErrorList } from './case-view.ts'
import { documentsFor } from './case-documents.ts'

const caseParams = { type: 'object', required: ['id'], properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,17}$' } } } as const

const intakeBody = {
  type: 'object',
  required: ['idempotencyKey', 'matterId'],
  properties: {
    idempotencyKey: { type: 'string', format: 'uuid' },
    applicantId: { type: 'string', maxLength: 10, pattern: '^$|^[1-9][0-9]{0,8}$' },
    name: text(50),
    idNumber: { type: 'string', maxLength: 18, pattern: '^$|^[0-9]{17}[0-9Xx]$', hint: 'intake.idInvalid' },
    phone: { type: 'string', maxLength: 20, pattern: '^$|^1[3-9][0-9]{9}$|^0[0-9]{2,3}-?[0-9]{7,8}$', hint: 'validation.phone' },
    villageGroup: text(30),
    address: text(200),
    vulnerable: { type: 'string', enum: VULNERABLE },
    matterId: { type: 'integer', minimum: 1, maximum: 2147483647 },
    channel: { type: 'string', enum: COUNTER_CHANNELS },
    serviceForm: { type: 'string', enum: CASE_SERVICE_FORMS },
    homeService: { type: 'string', maxLength: 5 },
    materialsReceived: { type: 'array', maxItems: 40, items: { type: 'string', maxLength: 100 } },
    decision: { type: 'string', enum: ['decide', 'register', 'reject'] },
    rejectReason: text(500),
    summary: text(500),
  },
} as const

/** Every step posts to one route: its version, and the fields of the steps' forms (each step's own schema checks them). */
const actionBody = {
  type: 'object',
  required: ['version'],
  properties: { version: { type: 'integer', minimum: 1, maximum: 2147483647 }, ...STEP_FORM_FIELDS },
} as const

const searchQuery = {
  type: 'object',
  properties: {
    q: text(50),
    stage: { type: 'string', enum: ['', ...STAGES] },
    matterId: { type: 'string', maxLength: 10, pattern: '^$|^[1-9][0-9]{0,8}$' },
    from: text(10),
    to: text(10),
    before: { type: 'string', maxLength: 19, pattern: '^$|^[1-9][0-9]{0,17}$' },
  },
} as const

export const PAGE_SIZE = 50

/** The intake form's fields as the service takes them; absent fields are empty, never undefined. */
function intakeInputFrom(body: Record<string, unknown>): IntakeInput {
  const textOf = (v: unknown) => (v === undefined || v === null ? '' : String(v))
  return {
    idempotencyKey: textOf(body.idempotencyKey),
    applicantId: toRecordId(body.applicantId),
    applicant: {
      name: textOf(body.name),
      idNumber: textOf(body.idNumber),
      phone: textOf(body.phone),
      villageGroup: textOf(body.villageGroup),
      address: textOf(body.address),
      vulnerable: (body.vulnerable ?? 'none') as IntakeInput['applicant']['vulnerable'],
    },
    matterId: toRecordId(body.matterId) ?? 0,
    channel: (body.channel ?? 'station') as IntakeInput['channel'],
    serviceForm: (body.serviceForm ?? 'proxy') as IntakeInput['serviceForm'],
    homeService: body.homeService === 'on',
    materialsReceived: Array.isArray(body.materialsReceived) ? body.materialsReceived.map(String) : [],
    decision: (body.decision ?? 'decide') as IntakeInput['decision'],
    rejectReason: textOf(body.rejectReason),
    summary: textOf(body.summary),
  }
}

/** An applicant's ID number and phone as the intake form lists them: masked (PIPL art. 6). */
const maskedValues = (a: { idNumberSealed: string | null; phone: string }) => ({ maskedIdNumber: maskIdNumber(openIdNumber(a.idNumberSealed)), maskedPhone: maskPhone(a.phone) })

export default async function caseRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>()
  const today = () => app.today()

  // ---- Intake ----
  async function renderIntake(request: FastifyRequest, reply: FastifyReply, status: number, values: Record<string, unknown>, errors: FieldErrors) {
    const actor = request.actor!
    const matters = await listMatters(app.db, actor.countyId)
    const matterId = toRecordId(values.matterId)
    const matter = matterId ? await findMatter(app.db, actor.countyId, matterId) : undefined
    const applicantId = toRecordId(values.applicantId)
    const applicant = applicantId
      ? await app.db.selectFrom('applicants').selectAll().where('id', '=', applicantId).where('villageId', '=', actor.villageId!).executeTakeFirst()
      : undefined
    const q = String(values.q ?? '').trim()
    const found = q ? await searchApplicants(actor.villageId!, q) : []
    const received = Array.isArray(values.materialsReceived) ? values.materialsReceived.map(String) : values.materialsReceived ? [String(values.materialsReceived)] : []
    return reply.code(status).viewAsync('cases/intake.hbs', {
      title: request.t('intake.title'),
      values: { channel: 'station', serviceForm: 'proxy', vulnerable: 'none', decision: 'decide', idempotencyKey: randomUUID(), ...values },
      errors,
      matters,
      matter,
      materials: matter?.materials.map((m) => ({ ...m, received: received.includes(m.name) })) ?? [],
      // Masked, as on every staff page (need to see): the agent picks a person here, and copies
      // nothing; the person file's "show" control is where a full value is seen, and recorded.
      applicant: applicant && { id: applicant.id, name: applicant.name, villageGroup: applicant.villageGroup, ...maskedValues(applicant) },
      found,
      channels: COUNTER_CHANNELS,
      serviceForms: CASE_SERVICE_FORMS,
      vulnerableKinds: VULNERABLE,
    })
  }

  async function searchApplicants(villageId: number, q: string) {
    const rows = await app.db
      .selectFrom('applicants')
      .select(['id', 'name', 'phone', 'idNumberSealed', 'villageGroup'])
      .where('villageId', '=', villageId)
      // An anonymised file (privacy/retention.ts) is history: a returning person gets a new one.
      .where('anonymisedAt', 'is', null)
      .where((eb) => eb.or([nameContains(q), eb(sql`name`, sql`%`, q), eb('phone', '=', q), eb('idNumberHash', 'in', idNumberHashes(q.toUpperCase()))]))
      .orderBy(sql`similarity(name, ${q})`, 'desc')
      .limit(10)
      .execute()
    return rows.map((row) => ({ id: row.id, name: row.name, villageGroup: row.villageGroup, ...maskedValues(row) }))
  }

  const intakeQuery = {
    type: 'object',
    properties: { matterId: { type: 'string', maxLength: 10, pattern: '^$|^[1-9][0-9]{0,8}$' }, applicantId: { type: 'string', maxLength: 10, pattern: '^$|^[1-9][0-9]{0,8}$' }, q: text(50) },
  } as const

  app.get('/cases/new', { config: { roles: ['agent'] }, schema: { querystring: intakeQuery } }, async (request, reply) =>
    renderIntake(request, reply, 200, request.query, {}),
  )

  app.post('/cases', { config: { roles: ['agent'] }, schema: { body: intakeBody }, attachValidation: true }, async (request, reply) => {
    const body: Record<string, unknown> = request.body ?? {}
    const input = intakeInputFrom(body)
    if (request.validationError) {
      // The schema's messages and the form's own rules together: every wrong field at once.
      const problems = RuleViolation.all(intakeInputProblems(input))
      const errors = { ...(problems ? fieldErrorsFromRule(problems, request.t) : {}), ...fieldErrorsFromValidation(request.validationError.validation, request.t) }
      return renderIntake(request, reply, 400, body, errors)
    }
    try {
      const result = await intakeCase(app.db, request.actor!, input, today(), app.now())
      return reply.redirect(`/cases/${result.caseId}?new=1`, 303)
    } catch (error) {
      if (error instanceof RuleViolation) return renderIntake(request, reply, 400, body, fieldErrorsFromRule(error, request.t))
      throw error
    }
  })

  // ---- The case page and its steps ----
  async function renderCase(request: FastifyRequest, reply: FastifyReply, caseId: string, status = 200, failed?: { action: Action; errors: FieldErrors; values: Record<string, unknown> }, created = false) {
    const actor = request.actor!
    const c = await findCaseInScope(app.db, scopeOf(actor), caseId)
    if (!c) throw new NotFound()
    const now = today()
    // Everything else the page needs, at once: the guards' facts come from the same lists the page
    // shows. The county's windows are for the steps that send the case to one; they are read for
    // whoever might take such a step on an open case, and shown only if the step is offered.
    const mightChooseWindow = (actor.role === 'agent' || actor.role === 'clerk') && OPEN_STAGES.includes(c.stage)
    const [calendar, events, assists, extensions, posting, rating, countyWindows] = await Promise.all([
      loadCalendar(app.db, actor.countyId),
      listCaseEvents(app.db, caseId),
      listAssists(app.db, caseId),
      listExtensions(app.db, caseId),
      postingState(app.db, c, now),
      c.rating && seesRating(actor) ? findRating(app.db, caseId) : undefined,
      mightChooseWindow
        ? app.db.selectFrom('windows').leftJoin('towns', 'towns.id', 'windows.townId').select(['windows.id', 'windows.name', 'windows.department', 'windows.townId', 'towns.name as townName']).where('windows.countyId', '=', actor.countyId).where('windows.active', '=', true).orderBy('windows.townId').orderBy('windows.department').execute()
        : [],
    ])
    const flags = flagsOf(c, assists.some(isOpenAssist), extensions.some((e) => e.status === 'pending'), now, posting)
    const model = caseViewModel(actor, c, flags, calendar, now)
    const windows = model.actions.includes('forward') || model.actions.includes('transfer') ? countyWindows : []
    const defaultWindow = windows.find((w) => w.townId === c.townId && w.department === c.department)?.id
    const notices: string[] = reply.locals.statusMessages as string[]
    if (created) notices.push(request.t('cases.created', { caseNo: c.caseNo }))
    return reply.code(status).viewAsync('cases/case.hbs', {
      title: `${c.caseNo} · ${c.matterName}`,
      c: model,
      // A step refused outright (not offered here) is reported above the page's steps.
      topError: failed && !model.actions.includes(failed.action) ? Object.values(failed.errors)[0] : null,
      forms: model.actions.map((action) => {
        const mine = failed?.action === action
        return {
          action,
          ending: isEndingStep(action),
          open: mine,
          values: mine ? failed.values : {},
          errors: mine ? failed.errors : {},
          errorList: mine ? stepErrorList(action, failed.errors, request.t) : [],
        }
      }),
      handbackOutstanding: outstandingHandback(c.handback, events),
      rating,
      events,
      // A case brought in from an old workbook says so: its dates are the ledger's, not this system's.
      imported: events.some((e) => e.action === 'imported'),
      assists,
      extensions,
      windows,
      defaultWindow: failed?.values.windowId ?? c.windowId ?? defaultWindow,
      documents: documentsFor(c, extensions.some((e) => e.status === 'approved')),
      pdfAvailable: app.printing.available,
      outcomes: OUTCOMES,
      ratings: RATINGS,
      today: now,
    })
  }

  app.get('/cases/:id', { schema: { params: caseParams, querystring: { type: 'object', properties: { new: text(1) } } } }, async (request, reply) =>
    renderCase(request, reply, request.params.id, 200, undefined, request.query.new === '1'),
  )

  app.post(
    '/cases/:id/:action',
    {
      config: { roles: ['agent', 'clerk', 'supervisor'] },
      schema: { params: { ...caseParams, required: ['id', 'action'], properties: { ...caseParams.properties, action: { type: 'string', enum: ACTIONS } } }, body: actionBody },
      attachValidation: true,
    },
    async (request, reply) => {
      const { id, action } = request.params
      const body: Record<string, unknown> = request.body ?? {}
      if (request.validationError) {
        if (request.validationError.validationContext === 'params') throw new NotFound()
        return renderCase(request, reply, id, 400, { action, errors: fieldErrorsFromValidation(request.validationError.validation, request.t), values: body })
      }
      try {
        await performAction(app.db, request.actor!, id, action, request.body.version, body, today(), app.now(), { rectificationDays: app.config.rectificationDays })
        // The form's address carries #step-<action> so a failed step reopens at its form; a done one lands on the case's head.
        return reply.redirect(`/cases/${id}#case`, 303)
      } catch (error) {
        if (error instanceof StepInputInvalid) {
          return renderCase(request, reply, id, 400, { action, errors: fieldErrorsFromValidation(error.errors, request.t), values: body })
        }
        if (error instanceof RuleViolation) {
          return renderCase(request, reply, id, 400, { action, errors: fieldErrorsFromRule(error, request.t), values: body })
        }
        // Out of date: the page shows the case as it is now, with the form still open and holding
        // what the user typed, so nothing is lost when they decide to send it again.
        if ((error as { code?: string }).code === 'APP_ERR_CASE_STALE') {
          return renderCase(request, reply, id, 409, { action, errors: { _form: request.t('errors.stale') }, values: body })
        }
        throw error
      }
    },
  )

  // ---- Search ----
  app.get('/cases', { schema: { querystring: searchQuery }, attachValidation: true }, async (request, reply) => {
    const query = request.query ?? {}
    const actor = request.actor!
    const errors: FieldErrors = request.validationError ? fieldErrorsFromValidation(request.validationError.validation, request.t) : {}
    if (query.from && !isValidDate(query.from)) errors.from = request.t('validation.date')
    if (query.to && !isValidDate(query.to)) errors.to = request.t('validation.date')
    const matters = await listMatters(app.db, actor.countyId, { includeInactive: true })
    if (Object.keys(errors).length) return reply.code(400).viewAsync('cases/search.hbs', { title: request.t('search.title'), query, errors, rows: [], matters, stages: STAGES })
    const text = (query.q ?? '').trim()
    const kind = !text ? null : new RegExp(CASE_NO_PATTERN).test(text) ? 'caseNo' : /^\d{17}[\dXx]$/.test(text) ? 'idNumber' : /^[\d-]{7,13}$/.test(text) ? 'phone' : 'name'
    const search = (fuzzy: boolean) => {
      let q = app.db
        .selectFrom('cases')
        .innerJoin('applicants', 'applicants.id', 'cases.applicantId')
        .innerJoin('matterVersions', 'matterVersions.id', 'cases.matterVersionId')
        .innerJoin('villages', 'villages.id', 'cases.villageId')
        .select(['cases.id', 'cases.caseNo', 'cases.stage', 'cases.registeredOn', 'cases.dueOn', 'cases.dueLimit', 'matterVersions.caseType', 'applicants.name as applicantName', 'applicants.phone', 'matterVersions.name as matterName', 'villages.name as villageName'])
        .where((eb) => inScope(eb, scopeOf(actor), CASE_COLUMNS))
      if (kind === 'caseNo') q = q.where('cases.caseNo', '=', text.toUpperCase())
      else if (kind === 'idNumber') q = q.where('applicants.idNumberHash', 'in', idNumberHashes(text.toUpperCase()))
      else if (kind === 'phone') q = q.where('applicants.phone', '=', text)
      else if (kind === 'name' && fuzzy) q = q.where(sql`applicants.name`, sql`%`, text)
      else if (kind === 'name') q = q.where(nameContains(text))
      if (query.stage) q = q.where('cases.stage', '=', query.stage)
      if (query.matterId) q = q.where('cases.matterId', '=', Number(query.matterId))
      if (query.from) q = q.where('cases.registeredOn', '>=', query.from)
      if (query.to) q = q.where('cases.registeredOn', '<=', query.to)
      if (query.before) q = q.where('cases.id', '<', query.before)
      return q.orderBy('cases.id', 'desc').limit(PAGE_SIZE + 1).execute()
    }
    // A name is matched as typed first; only when nothing matches are similar names (a typo, a
    // homophone's character) looked for: with common surnames a fuzzy match alone finds thousands.
    let rows = await search(false)
    if (rows.length === 0 && kind === 'name' && !query.before) rows = await search(true)
    const more = rows.length > PAGE_SIZE
    const calendar = await loadCalendar(app.db, actor.countyId)
    const page = rows.slice(0, PAGE_SIZE).map((row) => ({ ...row, due: runningDue(calendar, row, today()) }))
    const next = more ? new URLSearchParams({ ...Object.fromEntries(Object.entries(query).filter(([k, v]) => v && k !== 'before')), before: page[page.length - 1].id }).toString() : null
    return reply.viewAsync('cases/search.hbs', { title: request.t('search.title'), query, errors, rows: page, next, matters, stages: STAGES })
  })

}
