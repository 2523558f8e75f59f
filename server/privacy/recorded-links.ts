import { createHmac, timingSafeEqual } from 'node:crypto'
import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The route writes an access record (an export with personal data, a villager's access report):
     * it answers only a request this site made, never a link planted by another site.
     */
    recordsAccess?: boolean
  }
}

/** The query parameter that carries the session's token on a recorded link. */
export const CONFIRM_PARAM = 'confirm'

/**
 * A GET that writes an access record is a link (the pages link to their exports, clients and the
 * daily ledger export follow them), so CSRF tokens do not guard it: another site could make a
 * staff member's browser open `/ledger.csv` and plant a record in their name. Such a route answers
 * only when the request came from this site:
 * - the browser says one of its pages made it (`Sec-Fetch-Site: same-origin`), or
 * - the link carries this session's token (`?confirm=`), which the pages put there and another
 *   site cannot know (an HMAC of the user, the token version and the sign-in).
 * Otherwise the page asks the person to confirm, with a link that carries the token, and nothing
 * is written. One hook for every route marked `recordsAccess` (tests/privacy/recorded-links.test.ts
 * finds any GET route that records without the mark).
 */
export function recordedLinkToken(secret: string, request: FastifyRequest): string | null {
  const actor = request.actor
  if (!actor || !request.signedIn) return null
  return createHmac('sha256', secret).update(`recorded-link\0${actor.id}\0${actor.tokenVersion}\0${request.signedIn.session}`).digest('base64url').slice(0, 32)
}

// Only a request one of this site's pages made. Not 'none': a browser sends it for an address
// typed or bookmarked, but also for a link opened from a mail, a chat or a document, which anyone
// can send; such a request gets the confirm page once.
const SAME_SITE_REQUEST = new Set(['same-origin'])

/** Whether a request to a recorded route was made by this site (see above). */
export function madeByThisSite(request: FastifyRequest, expected: string | null): boolean {
  const fetchSite = request.headers['sec-fetch-site']
  if (typeof fetchSite === 'string' && SAME_SITE_REQUEST.has(fetchSite)) return true
  const given = new URL(request.url, 'http://x').searchParams.get(CONFIRM_PARAM)
  if (!expected || !given) return false
  // Compared as bytes of equal length (timingSafeEqual throws otherwise: 中 is one character, three bytes).
  const [a, b] = [Buffer.from(given), Buffer.from(expected)]
  return a.length === b.length && timingSafeEqual(a, b)
}

/** The same address with this session's token (any earlier one replaced). */
export function withToken(url: string, token: string): string {
  const parsed = new URL(url, 'http://x')
  parsed.searchParams.set(CONFIRM_PARAM, token)
  return `${parsed.pathname}${parsed.search}`
}

/** An address without its token, as records and logs keep it. */
export function withoutConfirmToken(url: string): string {
  if (!url.includes(`${CONFIRM_PARAM}=`)) return url
  const parsed = new URL(url, 'http://x')
  parsed.searchParams.delete(CONFIRM_PARAM)
  return `${parsed.pathname}${parsed.search}`
}

async function recordedLinks(app: FastifyInstance) {
  const secret = app.config.jwtSecret
  // The pages put the token on their recorded links: `&confirm={{recordedLinkToken}}`.
  app.addHook('preHandler', async (request, reply) => {
    if (!request.actor || !reply.locals) return
    reply.locals.recordedLinkToken = recordedLinkToken(secret, request)
  })
  // After the login and role checks (auth's preHandler runs first): a refusal there stays a refusal.
  app.addHook('preHandler', async (request, reply) => {
    if (!request.routeOptions.config.recordsAccess || !request.actor) return
    const token = recordedLinkToken(secret, request)
    if (madeByThisSite(request, token)) return
    const t = request.t
    // A hook answers by sending (its return value is not sent as a handler's is).
    const page = await reply.viewAsync('privacy/confirm-recorded.hbs', { title: t('recordedLink.title'), href: withToken(request.url, token!) })
    return reply.code(200).type('text/html; charset=utf-8').send(page)
  })
}

export default fp(recordedLinks, { name: 'recorded-links', dependencies: ['auth', 'layout-locals'] })
