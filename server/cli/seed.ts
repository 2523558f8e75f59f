import { loadConfig } from '../config/config.ts'
import { openDatabase } from '../db/open.ts'
import { seedDemoIfEmpty } from '../demo/seed.ts'

// `npm run seed`: the demo county, only into an empty database.
const config = loadConfig()
const database = await openDatabase(config)
try {
  const seeded = await seedDemoIfEmpty(database.db, { now: new Date(), timeZone: config.timeZone })
  if (!seeded) console.log('The database already has data; demo data was not added.')
  else {
    if (seeded.history) console.log(`Demo county created with three months of history: ${seeded.history.cases} cases, ${seeded.history.steps} steps, ${seeded.history.visits} visits.`)
    console.log(`Password for every demo login: ${seeded.password}`)
    for (const line of seeded.logins) console.log(`  ${line}`)
  }
} finally {
  await database.close()
}
