import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { navigationFor } from './navigation.ts'

declare module 'fastify' {
  interface FastifyReply {
    locals: Record<string, unknown>
  }
}

/** What the layout needs on every page: language, who is signed in, the menu and a CSRF token. */
async function layoutLocals(app: FastifyInstance) {
  app.addHook('onRequest', async (request, reply) => {
    if (request.url.startsWith('/assets/')) return
    reply.locals = {
      locale: request.locale,
      otherLocale: request.locale === 'zh-CN' ? 'en' : 'zh-CN',
      timeZone: app.config.timeZone,
      actor: request.actor,
      nav: navigationFor(request.actor).map((item) => ({ ...item, current: item.href === request.url })),
      csrfToken: reply.generateCsrf(),
      currentUrl: request.url,
    }
  })
}

export default fp(layoutLocals, { name: 'layout-locals', dependencies: ['auth', 'i18n'] })
