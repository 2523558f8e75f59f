import { existsSync, linkSync, mkdirSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs'
import { randomBytes } from 'node:crypto'
import path from 'node:path'

/**
 * A secret kept in a file readable by its owner only: made on first use, read after. Two
 * processes starting together on one DATA_DIR (two instances) must end up with the same secret:
 * each writes its candidate to a file of its own and links it into place, which only the first
 * can do (link fails when the name exists); every process then reads what is in place. A plain
 * write would let the second overwrite the first's secret while the first already used it.
 */
export function readOrCreateSecret(file: string, make: () => string = () => randomBytes(48).toString('base64url')): { value: string; created: boolean } {
  if (existsSync(file)) return { value: readFileSync(file, 'utf8').trim(), created: false }
  // DATA_DIR, on a first start: its owner's only (data-dir.ts).
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  const candidate = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`
  writeFileSync(candidate, `${make()}\n`, { mode: 0o600 })
  let created = true
  try {
    linkSync(candidate, file)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
    created = false
  } finally {
    unlinkSync(candidate)
  }
  return { value: readFileSync(file, 'utf8').trim(), created }
}
