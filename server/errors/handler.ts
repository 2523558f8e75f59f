import fp from 'fastify-plugin'
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { isDatabaseUnavailable } from './errors.ts'
import { translator, DEFAULT_LOCALE } from '../i18n/i18n.ts'
import { isAssetUrl } from '../views/layout-locals.ts'

function wantsJson(request: FastifyRequest): boolean {
  return request.url.startsWith('/api/') || request.url === '/healthz'
}

interface ErrorView {
  status: number
  titleKey: string
  messageKey: string
  messageParams?: Record<string, unknown>
  reference?: string
}

function classify(error: FastifyError & { key?: string; params?: Record<string, unknown> }, request: FastifyRequest): ErrorView {
  if (isDatabaseUnavailable(error)) return { status: 503, titleKey: 'errors.unavailableTitle', messageKey: 'errors.databaseDown' }
  const status = error.statusCode ?? 500
  if (error.validation) return { status: 400, titleKey: 'errors.badRequestTitle', messageKey: 'errors.badRequest' }
  if (error.code === 'FST_CSRF_INVALID_TOKEN' || error.code === 'FST_CSRF_MISSING_SECRET') {
    return { status: 403, titleKey: 'errors.forbiddenTitle', messageKey: 'errors.csrf' }
  }
  if (status === 429) return { status, titleKey: 'errors.tooManyTitle', messageKey: 'errors.tooMany' }
  if (error.code === 'APP_TOO_MANY_FIELDS') return { status: 413, titleKey: 'errors.badRequestTitle', messageKey: 'errors.tooManyFields' }
  if (status === 413 || error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') return { status: 413, titleKey: 'errors.badRequestTitle', messageKey: 'errors.tooLarge' }
  if (error.code?.startsWith('APP_ERR_')) {
    return { status, titleKey: `errors.title${status}`, messageKey: error.message, messageParams: error.params }
  }
  if (error.code === 'APP_RULE') return { status, titleKey: 'errors.badRequestTitle', messageKey: error.key ?? 'errors.badRequest', messageParams: error.params }
  if (status >= 400 && status < 500) return { status, titleKey: 'errors.badRequestTitle', messageKey: 'errors.badRequest' }
  return { status: 500, titleKey: 'errors.serverTitle', messageKey: 'errors.server', reference: request.id }
}

async function renderError(request: FastifyRequest, reply: FastifyReply, view: ErrorView) {
  const t = request.t ?? translator(DEFAULT_LOCALE)
  reply.code(view.status)
  if (wantsJson(request)) {
    return reply.type('application/json').send({ error: t(view.messageKey, view.messageParams), reference: view.reference })
  }
  // A stylesheet or font has no page around it (no layout locals): the status and a line of text.
  if (isAssetUrl(request.url)) return reply.type('text/plain; charset=utf-8').send(t(view.messageKey, view.messageParams))
  try {
    return await reply.viewAsync('error.hbs', {
      title: t(view.titleKey),
      message: t(view.messageKey, view.messageParams),
      reference: view.reference,
      status: view.status,
    })
  } catch {
    // The page itself could not be drawn: still no stack trace, just the message.
    return reply.type('text/plain; charset=utf-8').send(t(view.messageKey, view.messageParams))
  }
}

async function errorHandlerPlugin(app: FastifyInstance) {
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const view = classify(error, request)
    if (view.status >= 500) request.log.error({ err: error, reference: request.id }, 'request failed')
    else request.log.info({ code: error.code, status: view.status }, error.message)
    return renderError(request, reply, view)
  })
  app.setNotFoundHandler(async (request, reply) => {
    return renderError(request, reply, { status: 404, titleKey: 'errors.title404', messageKey: 'errors.notFound' })
  })
}

export default fp(errorHandlerPlugin, { name: 'error-handler' })
