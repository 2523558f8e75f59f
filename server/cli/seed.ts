import { loadConfig } from '../config/config.ts'
import { openDatabase } from '../db/open.ts'
import { seedDemoIfEmpty } from '../demo/seed.ts'

// `npm run seed`: the demo county, only into an empty database.
const database = await openDatabase(loadConfig())
try {
  const seeded = await seedDemoIfEmpty(database.db)
  if (!seeded) console.log('The database already has data; demo data was not added.')
  else {
    console.log(`Demo county created. Password for every demo login: ${seeded.password}`)
    for (const line of seeded.logins) console.log(`  ${line}`)
  }
} finally {
  await database.close()
}
