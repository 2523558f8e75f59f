import fp from 'fastify-plugin'
import type { FastifyInstance } from 'fastify'
import type { Db } from './connect.ts'

declare module 'fastify' {
  interface FastifyInstance {
    db: Db
  }
}

/** Makes the Kysely instance available as `app.db`; the caller that opened it closes it. */
async function dbPlugin(app: FastifyInstance, options: { db: Db }) {
  app.decorate('db', options.db)
}

export default fp(dbPlugin, { name: 'db' })
