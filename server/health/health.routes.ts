import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'

export default async function healthRoutes(app: FastifyInstance) {
  app.get('/healthz', { config: { public: true }, logLevel: 'warn' }, async (_request, reply) => {
    try {
      await sql`select 1`.execute(app.db)
      return { status: 'ok' }
    } catch {
      return reply.code(503).send({ status: 'unavailable', database: 'down' })
    }
  })
}

/**
 * The benchmark's floors: what the framework costs with no work (a fixed string) and what one
 * primary-key query through the same pool costs. Registered only when BENCH_FLOORS is on.
 */
export async function benchFloorRoutes(app: FastifyInstance) {
  app.get('/bench/floor/bare', { config: { public: true } }, async () => 'ok')
  // What the bare route pays for its security headers, a CSRF token and a request log: each
  // variant adds or removes one of them.
  app.get('/bench/floor/no-helmet', { config: { public: true }, helmet: false }, async () => 'ok')
  app.get('/bench/floor/csrf', { config: { public: true } }, async (_request, reply) => reply.generateCsrf())
  app.get('/bench/floor/logged', { config: { public: true }, logLevel: 'info' }, async () => 'ok')
  app.get('/bench/floor/pk', { config: { public: true } }, async () => {
    const row = await app.db.selectFrom('counties').select(['id', 'name']).where('id', '=', 1).executeTakeFirst()
    return row?.name ?? ''
  })
}
