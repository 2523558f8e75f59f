import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import { navigationFor } from './navigation.ts'
import { nextYearScheduleMissing } from '../calendar/calendar.service.ts'
import { unreadCount } from '../notifications/notifications.service.ts'

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
      notices: [] as string[],
    }
  })
  // Administrators are reminded of next year's holiday schedule from 1 November until it is entered.
  app.addHook('preHandler', async (request, reply) => {
    if (request.actor && request.method === 'GET' && reply.locals) reply.locals.unread = await unreadCount(app.db, request.actor.id)
    if (request.actor?.role !== 'admin' || request.method !== 'GET') return
    const missing = await nextYearScheduleMissing(app.db, app.today())
    if (missing) (reply.locals.notices as string[]).push(request.t('calendar.nextYearMissing', { year: missing }))
    if (!app.printing.available) (reply.locals.notices as string[]).push(request.t('docs.noChromium'))
  })
}

export default fp(layoutLocals, { name: 'layout-locals', dependencies: ['auth', 'i18n', 'printing'] })
