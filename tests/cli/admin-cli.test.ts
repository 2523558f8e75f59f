import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import path from 'node:path'
import { createTestDatabase } from '../fixtures/database.ts'

// Six command-line runs, each starting tsx: the file, not only its test, needs more than tap's 30 s.
t.setTimeout(5 * 60_000)

const run = promisify(execFile)
const root = path.resolve(import.meta.dirname, '../..')
const tsx = path.join(root, 'node_modules/.bin/tsx')

t.test('the operator command line creates the county and the first administrator, who can log in', async (t) => {
  // Six command-line runs, each starting tsx: a busy machine needs more than tap's 30 s.
  t.setTimeout(120_000)
  const { url, db } = await createTestDatabase(t)
  const env = { ...process.env, DATABASE_URL: url, DATA_DIR: '/tmp/bianmin-cli-test', JWT_SECRET: 'x'.repeat(40), NODE_ENV: 'production' }
  const help = await run(tsx, ['server/cli/admin.ts', '--help'], { cwd: root, env })
  t.match(help.stdout, 'create-user --role admin --username NAME')
  const county = await run(tsx, ['server/cli/admin.ts', 'create-county', '--code', '510781', '--name', '江油市'], { cwd: root, env })
  t.match(county.stdout, 'County 江油市 created')
  const weak = await run(tsx, ['server/cli/admin.ts', 'create-user', '--role', 'admin', '--username', 'chief', '--password', 'short'], { cwd: root, env }).catch((e) => e)
  t.equal(weak.code, 2, 'a weak password is refused')
  t.match(weak.stderr, 'at least 8 characters', weak.stderr)
  const ok = await run(tsx, ['server/cli/admin.ts', 'create-user', '--role', 'admin', '--username', 'chief', '--password', 'strongpass1'], { cwd: root, env })
  t.match(ok.stdout, 'User chief (admin) created')
  const viaStdin = run(tsx, ['server/cli/admin.ts', 'create-user', '--role', 'admin', '--username', 'deputy'], { cwd: root, env })
  viaStdin.child.stdin!.end('anotherpass2\n')
  t.match((await viaStdin).stdout, 'User deputy (admin) created', 'the password may come on standard input')
  const unknown = await run(tsx, ['server/cli/admin.ts', 'explode'], { cwd: root, env }).catch((e) => e)
  t.equal(unknown.code, 2)
  t.match(unknown.stderr, 'Unknown command')

  const users = await db.selectFrom('users').select(['username', 'role']).orderBy('id').execute()
  t.same(users, [{ username: 'chief', role: 'admin' }, { username: 'deputy', role: 'admin' }])
})
