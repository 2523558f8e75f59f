import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import { DEFAULT_LOCALE, isLocale, LOCALES, translator, type Locale, type Translate } from './i18n.ts'

declare module 'fastify' {
  interface FastifyRequest {
    locale: Locale
    t: Translate
  }
}

export const LOCALE_COOKIE = 'lang'

/** Chooses the language from the `lang` cookie; Simplified Chinese otherwise. */
async function i18nPlugin(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>()
  app.decorateRequest('locale', DEFAULT_LOCALE)
  app.decorateRequest('t', null as unknown as Translate)
  app.addHook('onRequest', async (request) => {
    const wanted = request.cookies[LOCALE_COOKIE]
    request.locale = isLocale(wanted) ? wanted : DEFAULT_LOCALE
    request.t = translator(request.locale)
  })

  app.get(
    '/lang/:locale',
    {
      config: { public: true },
      schema: {
        params: { type: 'object', properties: { locale: { type: 'string', enum: LOCALES } }, required: ['locale'] },
        querystring: { type: 'object', properties: { next: { type: 'string', maxLength: 500 } } },
      },
    },
    async (request, reply) => {
      const { locale } = request.params
      const { next } = request.query
      reply.setCookie(LOCALE_COOKIE, locale, { path: '/', httpOnly: true, sameSite: 'lax', maxAge: 365 * 24 * 3600 })
      return reply.redirect(safeNext(next), 303)
    },
  )
}

const SAME_ORIGIN = 'http://bianmin.invalid'

/**
 * Only same-origin paths: an open redirect would let a link on another site send users anywhere.
 * The value is parsed as a browser would read it: `/\t/evil.com` (a decoded %09) loses its tab
 * and becomes `//evil.com`, another host, so a prefix check alone is not enough. The parser also
 * resolves dot segments (`/.//evil.com`, `/%2e//evil.com` → `//evil.com`): a path that then starts
 * with two slashes would be read by the browser as protocol-relative, another host, so it goes home.
 */
export function safeNext(next: unknown): string {
  // Anything but one local path (a repeated field arrives as an array) goes home.
  if (typeof next !== 'string' || !next.startsWith('/')) return '/'
  let url: URL
  try {
    url = new URL(next, SAME_ORIGIN)
  } catch {
    return '/'
  }
  if (url.origin !== SAME_ORIGIN || url.pathname.startsWith('//')) return '/'
  return `${url.pathname}${url.search}${url.hash}`
}

export default fp(i18nPlugin, { name: 'i18n', dependencies: ['@fastify/cookie'] })
