import { loadConfig } from '../config/config.ts'
import { openDatabase } from '../db/open.ts'

// `npm run migrate`: brings the schema up to date (the server does this at start too).
const database = await openDatabase(loadConfig())
console.log('Database schema is up to date.')
await database.close()
