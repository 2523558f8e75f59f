import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import { PARTNER_CHANNELS } from '../db/schema.ts'
import { listTowns } from '../org/org.repository.ts'
import { submitForm, requiredText, optionalId, idParams, toId, sentValues } from '../views/forms.ts'
import type { FieldErrors } from '../views/form-errors.ts'
import { issueApiKey, listApiKeys, revokeApiKey } from './api-keys.ts'

const issueBody = {
  type: 'object',
  required: ['partner', 'channel'],
  properties: {
    partner: requiredText(60),
    channel: { type: 'string', enum: PARTNER_CHANNELS, hint: 'validation.choose' },
    townId: optionalId,
  },
} as const

/** The administrator's page of partner keys: issue one (shown once), see when each was last used, revoke. */
export default async function apiKeyRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>()
  const admin = { roles: ['admin'] as const }

  async function render(request: FastifyRequest, reply: FastifyReply, status: number, values: Record<string, unknown>, errors: FieldErrors, issued?: { key: string; partner: string }) {
    const countyId = request.actor!.countyId
    const [keys, towns] = await Promise.all([listApiKeys(app.db, countyId), listTowns(app.db, countyId)])
    return reply.code(status).viewAsync('partners/api-keys.hbs', {
      title: request.t('apiKeys.title'),
      keys,
      towns,
      channels: PARTNER_CHANNELS,
      values,
      errors,
      issued,
      apiBase: `${app.config.publicBaseUrl}/open311/v2`,
    })
  }

  app.get('/admin/api-keys', { config: admin }, async (request, reply) => render(request, reply, 200, { channel: 'hotline', townId: '' }, {}))

  app.post('/admin/api-keys', { config: admin, schema: { body: issueBody }, attachValidation: true }, async (request, reply) =>
    submitForm(request, reply, {
      render: (status, errors) => render(request, reply, status, sentValues(request.body), errors),
      action: () => issueApiKey(app.db, request.actor!, { partner: request.body.partner, channel: request.body.channel, townId: toId(request.body.townId) }, app.now()),
      // The key is shown on this one answer and never again: only its hash is kept.
      done: (result) => render(request, reply, 201, { channel: 'hotline', townId: '' }, {}, { key: result.key, partner: request.body.partner.trim() }),
    }),
  )

  app.post('/admin/api-keys/:id/revoke', { config: admin, schema: { params: idParams } }, async (request, reply) => {
    await revokeApiKey(app.db, request.actor!, request.params.id, app.now())
    return reply.redirect('/admin/api-keys', 303)
  })
}
