import { existsSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

/**
 * Where the code and the files it reads live, the same whether it runs from the TypeScript source
 * (tsx: tests, dev tools) or compiled (`npm start` runs dist/, built by `npm run build`).
 *
 * codeRoot: the folder holding server/ and migrations/ as they run — the project itself under tsx,
 * dist/ when compiled (this file is <codeRoot>/server/config/paths.{ts,js}).
 * projectRoot: the nearest folder upward holding package.json, where views/, templates/ and
 * node_modules/ are; never copied into dist/.
 */
export const codeRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')

function findProjectRoot(from: string): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, 'package.json'))) return dir
    if (path.dirname(dir) === dir) throw new Error(`No package.json above ${from}`)
  }
}

export const projectRoot = findProjectRoot(codeRoot)

/** The Kysely migrations as they run: migrations/*.ts under tsx, dist/migrations/*.js compiled. */
export const migrationFolder = path.join(codeRoot, 'migrations')
