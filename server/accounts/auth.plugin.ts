import fp from 'fastify-plugin'
import jwt from '@fastify/jwt'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Role } from '../db/schema.ts'
import type { Actor } from './actor.ts'
import { findActor } from './users.repository.ts'
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
  }
  interface FastifyReply {
    startSession(userId: number, tokenVersion: number): Promise<void>
    endSession(): void
  }
}

export const SESSION_COOKIE = 'bianmin_session'
// The token is re-issued at most this often, which slides the idle expiry forward.
const REFRESH_AFTER_SECONDS = 5 * 60

interface SessionToken {
  sub: string
  tv: number
  iat: number
  exp: number
}

async function authPlugin(app: FastifyInstance, options: { secret: string; idleHours: number; secureCookies: boolean }) {
  const cookieOptions = { path: '/', httpOnly: true, sameSite: 'lax' as const, secure: options.secureCookies }
  await app.register(jwt, {
    secret: options.secret,
    sign: { algorithm: 'HS256', expiresIn: `${options.idleHours}h` },
    verify: { algorithms: ['HS256'] },
    decoratorName: 'jwtPayload',
  })

  app.decorateRequest('actor', null)

  app.decorateReply('startSession', async function (this: FastifyReply, userId: number, tokenVersion: number) {
    const token = app.jwt.sign({ sub: String(userId), tv: tokenVersion })
    this.setCookie(SESSION_COOKIE, token, { ...cookieOptions, maxAge: options.idleHours * 3600 })
  })
  app.decorateReply('endSession', function (this: FastifyReply) {
    this.clearCookie(SESSION_COOKIE, cookieOptions)
  })

  // Who is asking: a valid, unexpired token whose version still matches an enabled user.
  app.addHook('onRequest', async (request, reply) => {
    const token = request.cookies[SESSION_COOKIE]
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
    const { disabled: _disabled, ...rest } = actor
    request.actor = rest
    if (Date.now() / 1000 - payload.iat > REFRESH_AFTER_SECONDS) await reply.startSession(actor.id, actor.tokenVersion)
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
