import type { FastifyInstance } from 'fastify'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import { BadRequest, NotFound } from '../errors/errors.ts'
import { idParams, text } from '../views/forms.ts'
import { recordAccess } from './access-log.ts'
import { REVEALABLE_FIELDS, fieldValue, findRevealableApplicant, revealedFrom } from './need-to-see.ts'

const revealBody = {
  type: 'object',
  required: ['field'],
  properties: { field: { type: 'string', enum: REVEALABLE_FIELDS }, from: text(300) },
} as const

/** The "show" control behind every masked ID number and phone on staff pages: one field of one applicant, recorded. */
export default async function privacyRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>()
  const staff = { roles: ['agent', 'clerk', 'supervisor', 'admin'] as const }

  app.post('/applicants/:id/reveal', { config: staff, schema: { params: idParams, body: revealBody }, attachValidation: true }, async (request, reply) => {
    // Jurisdiction first: an applicant out of reach is not found, whatever the form says.
    if (request.validationError?.validationContext === 'params') throw new NotFound()
    const actor = request.actor!
    const at = app.now()
    const shown = await app.db.transaction().execute(async (trx) => {
      const applicant = await findRevealableApplicant(trx, actor, request.params.id)
      if (!applicant) throw new NotFound()
      if (request.validationError) throw new BadRequest()
      const { field } = request.body
      const from = revealedFrom(request.body.from, applicant.id)
      const value = fieldValue(applicant, field)
      // Nothing was seen when there is nothing to show: no record.
      if (value !== null) await recordAccess(trx, actor, { kind: 'reveal', applicantId: applicant.id, field, page: from }, at)
      return { applicant, field, from, value }
    })
    return reply.viewAsync('privacy/reveal.hbs', {
      title: `${shown.applicant.name} · ${request.t(`reveal.fields.${shown.field}`)}`,
      name: shown.applicant.name,
      field: shown.field,
      value: shown.value,
      from: shown.from,
      viewer: actor.displayName,
      at,
    })
  })
}
