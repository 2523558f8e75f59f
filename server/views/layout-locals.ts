import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { navigationFor } from './navigation.ts'
import { textSizeOf } from './text-size.ts'
import { nextYearScheduleMissing } from '../calendar/calendar.service.ts'

declare module 'fastify' {
  interface FastifyReply {
    locals: Record<string, unknown>
  }
}

// Stylesheets and fonts get no page locals (@fastify/view gives them an empty object instead):
// every hook here asks this one question before touching the locals.
export const isAssetUrl = (url: string) => url.startsWith('/assets/')
const isPageRequest = (request: FastifyRequest) => !isAssetUrl(request.url)

/** What the layout needs on every page: language, who is signed in, the menu and a CSRF token. */
async function layoutLocals(app: FastifyInstance) {
  app.addHook('onRequest', async (request, reply) => {
    if (!isPageRequest(request)) return
    reply.locals = {
      locale: request.locale,
      otherLocale: request.locale === 'zh-CN' ? 'en' : 'zh-CN',
      largeText: textSizeOf(request) === 'large',
      timeZone: app.config.timeZone,
      actor: request.actor,
      nav: navigationFor(request.actor).map((item) => ({ ...item, current: item.href === request.url })),
      csrfToken: reply.generateCsrf(),
      currentUrl: request.url,
      // Named apart from any page's own data: /notices passed its notice rows as `notices` and the
      // layout printed them here as [object Object].
      statusMessages: [] as string[],
    }
  })
  // Administrators are reminded of next year's holiday schedule from 1 November until it is entered.
  app.addHook('preHandler', async (request, reply) => {
    if (!isPageRequest(request) || request.method !== 'GET' || !request.actor) return
    reply.locals.unread = request.signedIn?.unread ?? 0
    if (request.actor.role !== 'admin') return
    const missing = await nextYearScheduleMissing(app.db, app.today())
    if (missing) (reply.locals.statusMessages as string[]).push(request.t('calendar.nextYearMissing', { year: missing }))
    if (!app.printing.available) (reply.locals.statusMessages as string[]).push(request.t('docs.noChromium'))
  })
}

export default fp(layoutLocals, { name: 'layout-locals', dependencies: ['auth', 'i18n', 'printing'] })
