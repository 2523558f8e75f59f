import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { Busy } from '../errors/errors.ts'

declare module 'fastify' {
  interface FastifyRequest {
    exportSlot: string | null
  }
}

/**
 * Exports stream whole ledgers (100,000 rows take seconds and memory): at most `total` run at
 * once, and one per user, so a few clicks cannot starve the pages. Over the cap: 503 with a message.
 * A route is an export when its address ends in .csv or .xlsx.
 */
async function exportSlots(app: FastifyInstance, options: { total: number }) {
  const running = new Map<string, number>()
  let total = 0
  const release = (request: FastifyRequest) => {
    const owner = request.exportSlot
    if (!owner) return
    request.exportSlot = null
    total--
    const n = (running.get(owner) ?? 1) - 1
    if (n > 0) running.set(owner, n)
    else running.delete(owner)
  }
  app.decorateRequest('exportSlot', null)
  app.addHook('preHandler', async (request) => {
    if (!/\.(csv|xlsx)$/.test(request.routeOptions.url ?? '')) return
    const owner = request.actor ? `user:${request.actor.id}` : `ip:${request.ip}`
    if (total >= options.total || (running.get(owner) ?? 0) >= 1) throw new Busy()
    total++
    running.set(owner, (running.get(owner) ?? 0) + 1)
    request.exportSlot = owner
  })
  app.addHook('onResponse', async (request) => release(request))
  app.addHook('onRequestAbort', async (request) => release(request))
}

export default fp(exportSlots, { name: 'export-slots', dependencies: ['auth'] })
