import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import { CASE_TYPES, DEPARTMENTS, MATERIAL_FORMS, POSTING_FIELDS, SERVICE_FORMS } from '../db/schema.ts'
import { NotFound } from '../errors/errors.ts'
import { idParams, text, sentValues } from '../views/forms.ts'
import type { FieldErrors } from '../views/form-errors.ts'
import { catalogueSchema, type MatterInput } from './matter-rules.ts'
import { findMatter, findMatterByCode, listMatters, listVersions } from './matters.repository.ts'
import { exportCatalogue, importCatalogue, MatterRefused, saveMatter, setMatterActive } from './matters.service.ts'
import { formValues, matterFormBody, matterFromForm, problemsToFieldErrors, typedValues, type MatterForm } from './matter-form.ts'
import { explanationHref } from '../calendar/explain.ts'
import { formatFen } from '../fees/money.ts'

const listQuery = {
  type: 'object',
  properties: { q: text(50), department: { type: 'string', enum: ['', ...DEPARTMENTS] }, inactive: { type: 'string', maxLength: 5 } },
} as const

function inputOf(row: NonNullable<Awaited<ReturnType<typeof findMatter>>>): MatterInput {
  return {
    code: row.code,
    name: row.name,
    department: row.department,
    caseType: row.caseType,
    serviceForms: row.serviceForms,
    proxiable: row.proxiable,
    notProxiableReason: row.notProxiableReason,
    materials: row.materials,
    legalBasis: row.legalBasis,
    conditions: row.conditions,
    procedure: row.procedure,
    statutoryLimit: row.statutoryLimit,
    promisedLimit: row.promisedLimit,
    limitUnit: row.limitUnit,
    forwardLimit: row.forwardLimit,
    replyLimit: row.replyLimit,
    feeFen: Number(row.feeFen),
    feeBasis: row.feeBasis,
    complaintChannel: row.complaintChannel,
    silenceConsent: row.silenceConsent,
    keepOffPublicList: row.keepOffPublicList,
    postingRounds: row.postingRounds,
    postingDays: row.postingDays,
    postingFields: row.postingFields as MatterInput['postingFields'],
    active: row.active,
  }
}

const choices = { departments: DEPARTMENTS, caseTypes: CASE_TYPES, serviceForms: SERVICE_FORMS, materialForms: MATERIAL_FORMS, postingFields: POSTING_FIELDS }

export default async function matterRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>()
  const admin = { roles: ['admin'] as const }

  app.get('/admin/matters', { config: admin, schema: { querystring: listQuery } }, async (request, reply) => {
    const query = request.query
    const matters = await listMatters(app.db, request.actor!.countyId, { q: query.q, department: query.department, includeInactive: query.inactive === 'on' })
    return reply.viewAsync('matters/list.hbs', { title: request.t('matters.title'), matters, query, ...choices })
  })

  const renderForm = (request: FastifyRequest, reply: FastifyReply, status: number, values: object, errors: FieldErrors, matterId?: number, versions: unknown[] = []) =>
    reply.code(status).viewAsync('matters/form.hbs', { title: request.t(matterId ? 'matters.editTitle' : 'matters.newTitle'), values, errors, matterId, versions, ...choices })

  const blank: MatterInput = {
    code: '', name: '', department: 'civil_affairs', caseType: 'promised', serviceForms: ['proxy', 'help', 'accompany'], proxiable: true, notProxiableReason: '',
    materials: [], legalBasis: '', conditions: '', procedure: [], statutoryLimit: 20, promisedLimit: 15, limitUnit: 'working', forwardLimit: 3, replyLimit: 2,
    feeFen: 0, feeBasis: '不收费', complaintChannel: '', silenceConsent: false, keepOffPublicList: false, postingRounds: 0, postingDays: 0, postingFields: [], active: true,
  }

  app.get('/admin/matters/new', { config: admin }, async (request, reply) => renderForm(request, reply, 200, formValues(blank), {}))

  async function save(request: FastifyRequest, reply: FastifyReply, form: MatterForm, matterId: number | null) {
    const { input, errors } = matterFromForm(form, request.t)
    const versions = matterId ? await listVersions(app.db, matterId) : []
    const rerender = (status: number, e: FieldErrors) => renderForm(request, reply, status, typedValues(form, input), e, matterId ?? undefined, versions)
    if (request.validationError) return rerender(400, { _form: request.t('errors.badRequest') })
    if (Object.keys(errors).length) return rerender(400, errors)
    try {
      const id = await saveMatter(app.db, request.actor!, input, matterId)
      return reply.redirect(`/admin/matters/${id}/edit?saved=1`, 303)
    } catch (error) {
      if (error instanceof MatterRefused) return rerender(400, problemsToFieldErrors(error.problems, request.t))
      throw error
    }
  }

  app.post('/admin/matters', { config: admin, schema: { body: matterFormBody }, attachValidation: true }, (request, reply) => save(request, reply, sentValues(request.body), null))

  app.get('/admin/matters/:id/edit', { config: admin, schema: { params: idParams, querystring: { type: 'object', properties: { saved: text(1) } } } }, async (request, reply) => {
    const { id } = request.params
    const row = await findMatter(app.db, request.actor!.countyId, id)
    if (!row) throw new NotFound()
    const saved = request.query.saved === '1'
    if (saved) (reply.locals.statusMessages as string[]).push(request.t('matters.saved', { version: row.currentVersion }))
    return renderForm(request, reply, 200, formValues(inputOf(row)), {}, id, await listVersions(app.db, id))
  })

  app.post('/admin/matters/:id', { config: admin, schema: { params: idParams, body: matterFormBody }, attachValidation: true }, (request, reply) =>
    save(request, reply, sentValues(request.body), request.params.id),
  )

  for (const [path, active] of [['activate', true], ['deactivate', false]] as const) {
    app.post(`/admin/matters/:id/${path}`, { config: admin, schema: { params: idParams } }, async (request, reply) => {
      await setMatterActive(app.db, request.actor!, request.params.id, active)
      return reply.redirect('/admin/matters?inactive=on', 303)
    })
  }

  app.get('/admin/matters/export.json', { config: admin }, async (request, reply) => {
    const catalogue = await exportCatalogue(app.db, request.actor!.countyId, app.now())
    reply.header('content-disposition', `attachment; filename="matters-${catalogue.county}.json"`)
    return reply.type('application/json; charset=utf-8').send(JSON.stringify(catalogue, null, 2))
  })

  const importBody = { type: 'object', required: ['json'], properties: { json: { type: 'string', minLength: 1, maxLength: 240000 } } } as const
  const renderImport = (request: FastifyRequest, reply: FastifyReply, status: number, values: object, errors: FieldErrors, problems: { path: string; message: string }[] = [], result?: object) =>
    reply.code(status).viewAsync('matters/import.hbs', { title: request.t('matters.importTitle'), values, errors, problems, result })

  app.get('/admin/matters/import', { config: admin }, async (request, reply) => renderImport(request, reply, 200, {}, {}))

  app.post('/admin/matters/import', { config: admin, schema: { body: importBody }, attachValidation: true }, async (request, reply) => {
    if (request.validationError) return renderImport(request, reply, 400, sentValues(request.body), { json: request.t('matters.importEmpty') })
    const body = request.body
    let data: unknown
    try {
      data = JSON.parse(body.json)
    } catch (error) {
      return renderImport(request, reply, 400, body, { json: request.t('calendar.notJson', { detail: (error as Error).message }) })
    }
    try {
      const result = await importCatalogue(app.db, request.actor!, request.actor!.countyId, data)
      return renderImport(request, reply, 200, {}, {}, [], result)
    } catch (error) {
      if (!(error instanceof MatterRefused)) throw error
      const problems = error.problems.map((p) => ({ path: p.path, message: request.t(p.key, p.params) }))
      return renderImport(request, reply, 400, body, { json: request.t('matters.importRefused', { count: problems.length }) }, problems)
    }
  })

  app.get('/schemas/matter-catalogue.json', { config: { public: true } }, async () => catalogueSchema)

  // Public service guides (办事指南): no login.
  async function countyFor(code: string | undefined) {
    const query = app.db.selectFrom('counties').select(['id', 'code', 'name']).orderBy('id')
    return code ? query.where('code', '=', code).executeTakeFirst() : query.executeTakeFirst()
  }
  const countyQuery = { type: 'object', properties: { county: text(20) } } as const

  app.get('/guides', { config: { public: true }, schema: { querystring: countyQuery } }, async (request, reply) => {
    const county = await countyFor(request.query.county)
    if (!county) throw new NotFound()
    const matters = await listMatters(app.db, county.id)
    const groups = DEPARTMENTS.map((department) => ({ department, matters: matters.filter((m) => m.department === department) })).filter((g) => g.matters.length)
    return reply.viewAsync('matters/guides.hbs', { title: request.t('guides.title'), county, groups })
  })

  app.get(
    '/guides/:code',
    { config: { public: true }, schema: { params: { type: 'object', required: ['code'], properties: { code: { type: 'string', maxLength: 32 } } }, querystring: countyQuery } },
    async (request, reply) => {
      const county = await countyFor(request.query.county)
      if (!county) throw new NotFound()
      const matter = await findMatterByCode(app.db, county.id, request.params.code)
      if (!matter || !matter.active) throw new NotFound()
      return reply.viewAsync('matters/guide.hbs', {
        title: matter.name,
        county,
        matter,
        feeYuan: Number(matter.feeFen) > 0 ? formatFen(matter.feeFen) : null,
        promisedHref: explanationHref(app.today(), matter.promisedLimit, matter.limitUnit),
      })
    },
  )
}
