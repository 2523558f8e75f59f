import type { FastifyInstance } from 'fastify'
import { sql } from 'kysely'

/** Each role lands on its own home page. Later work adds the worklists to these pages. */
export default async function homeRoutes(app: FastifyInstance) {
  app.get('/', async (request, reply) => {
    const actor = request.actor!
    const place = await app.db
      .selectFrom('users')
      .leftJoin('villages', 'villages.id', 'users.villageId')
      .leftJoin('windows', 'windows.id', 'users.windowId')
      .leftJoin('towns', (join) => join.on(sql`towns.id`, '=', sql`coalesce(users.town_id, villages.town_id, windows.town_id)`))
      .innerJoin('counties', 'counties.id', 'users.countyId')
      .select(['villages.name as villageName', 'windows.name as windowName', 'towns.name as townName', 'counties.name as countyName'])
      .where('users.id', '=', actor.id)
      .executeTakeFirstOrThrow()
    return reply.viewAsync(`home/${actor.role}.hbs`, { title: request.t(`home.${actor.role}.title`), place })
  })
}
