import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import { NotFound, RuleViolation } from '../errors/errors.ts'
import { text, idParams, sentValues } from '../views/forms.ts'
import { fieldErrorsFromRule, fieldErrorsFromValidation, type FieldErrors } from '../views/form-errors.ts'
import { scopeOf } from '../accounts/actor.ts'
import { inScope } from '../accounts/scope.ts'
import { isUnitStaff, isUnitSupervisor, stepRectification } from './rectifications.service.ts'

/** 整改: the unit sees what was rated and the comment, never the case number or the applicant. */
export default async function rectificationRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>()
  const roles = { roles: ['agent', 'clerk', 'supervisor'] as const }

  function base() {
    return app.db
      .selectFrom('rectifications')
      .innerJoin('cases', 'cases.id', 'rectifications.caseId')
      .innerJoin('matterVersions', 'matterVersions.id', 'cases.matterVersionId')
      .leftJoin('windows', 'windows.id', 'rectifications.windowId')
      .leftJoin('villages', 'villages.id', 'rectifications.villageId')
      .selectAll('rectifications')
      .select(['matterVersions.name as matterName', 'windows.name as windowName', 'villages.name as villageName', 'cases.caseNo'])
  }

  app.get('/rectifications', { config: roles }, async (request, reply) => {
    const actor = request.actor!
    let q = base()
    if (actor.role === 'clerk') q = q.where('rectifications.windowId', '=', actor.windowId)
    else if (actor.role === 'agent') q = q.where('rectifications.villageId', '=', actor.villageId)
    else q = q.where((eb) => inScope(eb, scopeOf(actor), { countyId: 'rectifications.countyId', townId: 'rectifications.townId' }))
    const rows = await q.orderBy('rectifications.id', 'desc').limit(500).execute()
    const supervisor = actor.role === 'supervisor'
    return reply.viewAsync('ratings/list.hbs', { title: request.t('rectifications.title'), rows: rows.map((r) => ({ ...r, caseNo: supervisor ? r.caseNo : null })), today: app.today() })
  })

  async function render(request: FastifyRequest, reply: FastifyReply, id: number, status = 200, form: { values: Record<string, unknown>; errors: FieldErrors } = { values: {}, errors: {} }) {
    const actor = request.actor!
    const r = await base().where('rectifications.id', '=', id).executeTakeFirst()
    if (!r || !(isUnitStaff(actor, r) || isUnitSupervisor(actor, r))) throw new NotFound()
    const events = await app.db.selectFrom('rectificationEvents').selectAll().where('rectificationId', '=', id).orderBy('id').execute()
    const supervisor = isUnitSupervisor(actor, r)
    return reply.code(status).viewAsync('ratings/detail.hbs', {
      title: request.t('rectifications.title'),
      r: { ...r, caseNo: supervisor ? r.caseNo : null, caseId: supervisor ? r.caseId : null },
      events,
      canSubmit: isUnitStaff(actor, r) && ['open', 'returned'].includes(r.status),
      canDecide: supervisor && r.status === 'submitted',
      canRuleAppeal: supervisor && r.status === 'appealed',
      values: { callback: r.callback, fixed: r.fixed, reply: r.reply, ...form.values },
      errors: form.errors,
    })
  }

  app.get('/rectifications/:id', { config: roles, schema: { params: idParams } }, async (request, reply) => render(request, reply, request.params.id))

  const body = { type: 'object', properties: { callback: text(2000), fixed: text(2000), reply: text(2000), reason: text(1000), note: text(1000), decision: text(20) } } as const
  for (const action of ['submit', 'decide', 'appeal', 'decide_appeal'] as const) {
    app.post(`/rectifications/:id/${action}`, { config: roles, schema: { params: idParams, body }, attachValidation: true }, async (request, reply) => {
      if (request.validationError) {
        if (request.validationError.validationContext === 'params') throw new NotFound()
        return render(request, reply, request.params.id, 400, { values: sentValues(request.body), errors: fieldErrorsFromValidation(request.validationError.validation, request.t) })
      }
      const { id } = request.params
      const b = request.body
      try {
        if (action === 'submit') await stepRectification(app.db, request.actor!, id, { action, callback: b.callback ?? '', fixed: b.fixed ?? '', reply: b.reply ?? '' }, app.now())
        if (action === 'appeal') await stepRectification(app.db, request.actor!, id, { action, reason: b.reason ?? '' }, app.now())
        if (action === 'decide') await stepRectification(app.db, request.actor!, id, { action, decision: b.decision === 'accepted' ? 'accepted' : 'returned', note: b.note ?? '' }, app.now())
        if (action === 'decide_appeal') await stepRectification(app.db, request.actor!, id, { action, decision: b.decision === 'appeal_upheld' ? 'appeal_upheld' : 'open', note: b.note ?? '' }, app.now())
      } catch (error) {
        if (error instanceof RuleViolation) return render(request, reply, id, 400, { values: b, errors: fieldErrorsFromRule(error, request.t) })
        throw error
      }
      return reply.redirect(`/rectifications/${id}`, 303)
    })
  }
}
