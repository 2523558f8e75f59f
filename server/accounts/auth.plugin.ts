import { randomBytes } from 'node:crypto'
import fp from 'fastify-plugin'
import jwt from '@fastify/jwt'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Role } from '../db/schema.ts'
import type { Actor } from './actor.ts'
import { findActor, type PlaceNames } from './users.repository.ts'
import { Forbidden } from '../errors/errors.ts'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Reachable without logging in. Everything else requires a session. */
    public?: boolean
    /** Roles allowed on this route; any signed-in role when absent. */
    roles?: readonly Role[]
  }
  interface FastifyRequest {
    actor: Actor | null
    /** What the pages show of the signed-in user beyond the actor, read with it in the same statement. */
    signedIn: { unread: number; place: PlaceNames; /** This sign-in (its time and random name), kept across refreshes: what a per-session token is bound to. */ session: string } | null
  }
  interface FastifyReply {
    /** Signs the user in; `startedAt` (seconds) is carried over when a live session is refreshed. */
    startSession(userId: number, tokenVersion: number, startedAt?: number, sessionId?: string): Promise<void>
    endSession(): void
  }
}

/**
 * Cookie names: with Secure cookies the `__Host-` prefix makes the browser refuse the cookie unless
 * it came over HTTPS from this very host, with Path=/ and no Domain, so a sibling subdomain or a
 * plain-HTTP page cannot plant or overwrite it.
 */
export function cookieName(base: string, secure: boolean): string {
  return secure ? `__Host-${base}` : base
}
export const SESSION_COOKIE = 'bianmin_session'
export const CSRF_COOKIE = 'bianmin_csrf'
// The token is re-issued at most this often, which slides the idle expiry forward.
const REFRESH_AFTER_SECONDS = 5 * 60

interface SessionToken {
  sub: string
  tv: number
  /** When the user signed in (seconds); refreshes keep it, so a session cannot slide on forever. */
  st?: number
  /** A random name of this sign-in, kept across refreshes: what a per-session token is bound to. */
  sid?: string
  iat: number
  exp: number
}

async function authPlugin(app: FastifyInstance, options: { secret: string; idleHours: number; maxHours: number; secureCookies: boolean }) {
  const cookieOptions = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: options.secureCookies }
  const sessionCookie = cookieName(SESSION_COOKIE, options.secureCookies)
  await app.register(jwt, {
    secret: options.secret,
    sign: { algorithm: 'HS256', expiresIn: `${options.idleHours}h` },
    verify: { algorithms: ['HS256'] },
    decoratorName: 'jwtPayload',
  })

  app.decorateRequest('actor', null)
  app.decorateRequest('signedIn', null)

  app.decorateReply('startSession', async function (this: FastifyReply, userId: number, tokenVersion: number, startedAt = Math.floor(Date.now() / 1000), sessionId = randomBytes(12).toString('base64url')) {
    const token = app.jwt.sign({ sub: String(userId), tv: tokenVersion, st: startedAt, sid: sessionId })
    this.setCookie(sessionCookie, token, { ...cookieOptions, maxAge: options.idleHours * 3600 })
  })
  app.decorateReply('endSession', function (this: FastifyReply) {
    this.clearCookie(sessionCookie, cookieOptions)
  })

  // Who is asking: a valid, unexpired token whose version still matches an enabled user.
  app.addHook('onRequest', async (request, reply) => {
    const token = request.cookies[sessionCookie]
    if (!token) return
    let payload: SessionToken
    try {
      payload = app.jwt.verify<SessionToken>(token)
    } catch {
      reply.endSession()
      return
    }
    const actor = await findActor(app.db, Number(payload.sub))
    if (!actor || actor.disabled || actor.tokenVersion !== payload.tv) {
      reply.endSession()
      return
    }
    const startedAt = payload.st ?? payload.iat
    const nowSeconds = Date.now() / 1000
    // However busy, a session ends this long after sign-in (a counter PC left signed in for days).
    if (nowSeconds - startedAt > options.maxHours * 3600) {
      reply.endSession()
      return
    }
    const { disabled: _disabled, unread, place, ...rest } = actor
    request.actor = rest
    const session = `${startedAt}.${payload.sid ?? ''}`
    request.signedIn = { unread, place, session }
    if (nowSeconds - payload.iat > REFRESH_AFTER_SECONDS) await reply.startSession(actor.id, actor.tokenVersion, startedAt, payload.sid)
  })

  // Login required by default; roles checked per route.
  app.addHook('preHandler', async (request, reply) => {
    const config = request.routeOptions.config
    if (config.public || request.is404) return
    if (!request.actor) return redirectToLogin(request, reply)
    if (config.roles && !config.roles.includes(request.actor.role)) throw new Forbidden()
  })
}

function redirectToLogin(request: FastifyRequest, reply: FastifyReply) {
  const next = request.method === 'GET' ? `?next=${encodeURIComponent(request.url)}` : ''
  return reply.redirect(`/login${next}`, 303)
}

export default fp(authPlugin, { name: 'auth', dependencies: ['@fastify/cookie', 'db'] })
