import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import { safeNext } from '../i18n/plugin.ts'

export const TEXT_SIZE_COOKIE = 'text_size'
export const TEXT_SIZES = ['normal', 'large'] as const
export type TextSize = (typeof TEXT_SIZES)[number]

const isTextSize = (value: unknown): value is TextSize => typeof value === 'string' && (TEXT_SIZES as readonly string[]).includes(value)

/** The size a visitor chose; normal unless the cookie says large (anything else in it is ignored). */
export function textSizeOf(request: FastifyRequest): TextSize {
  return request.cookies[TEXT_SIZE_COOKIE] === 'large' ? 'large' : 'normal'
}

/**
 * Large text for older visitors and agents (适老化): a link in the header switches it, a cookie
 * remembers it, and the layout puts a class on <html> that raises the root font size. A plain link
 * and a redirect, like the language switch, so it works without JavaScript on any phone.
 */
async function textSizeRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>()
  app.get(
    '/text-size/:size',
    {
      config: { public: true },
      schema: {
        params: { type: 'object', properties: { size: { type: 'string', maxLength: 20 } }, required: ['size'] },
        querystring: { type: 'object', properties: { next: { type: 'string', maxLength: 500 } } },
      },
    },
    async (request, reply) => {
      const { size } = request.params
      // An unknown size names no page: the same answer as any other address that does not exist.
      if (!isTextSize(size)) return reply.callNotFound()
      const cookie = { path: '/', httpOnly: true, sameSite: 'lax' as const }
      if (size === 'large') reply.setCookie(TEXT_SIZE_COOKIE, size, { ...cookie, maxAge: 365 * 24 * 3600 })
      else reply.clearCookie(TEXT_SIZE_COOKIE, cookie)
      return reply.redirect(safeNext(request.query.next), 303)
    },
  )
}

export default fp(textSizeRoutes, { name: 'text-size', dependencies: ['@fastify/cookie'] })
