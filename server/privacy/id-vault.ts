import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes } from 'node:crypto'
import { readFileSync, renameSync, statSync, writeFileSync } from 'node:fs'
import { readOrCreateSecret } from '../config/secret-file.ts'

/**
 * ID numbers at rest (PIPL). The database holds an ID number only sealed — AES-256-GCM under a key
 * that lives outside the database, in a keyring file (DATA_DIR/pii-keys.json, or PII_KEY_FILE) —
 * and as a keyed hash (HMAC-SHA-256) for exact look-up. A dump or a backup of the database thus
 * holds no ID number a reader could use without the keyring, and the keyring is never in a backup.
 *
 * The keyring keeps every key still in use: `current` seals new values, older ones open what they
 * sealed until `rotate-pii-key` has re-sealed every row under a new key and dropped them. Each key
 * is a 32-byte secret from which two subkeys are derived (HKDF), one to seal and one to hash, so a
 * hash never reveals the sealing key and a rotation changes both.
 */
export interface Keyring {
  current: string
  keys: Record<string, string>
}

interface DerivedKey {
  seal: Buffer
  hash: Buffer
}

const SEALED_PREFIX = 'v1'

function derive(secret: string): DerivedKey {
  const master = Buffer.from(secret, 'base64url')
  if (master.length !== 32) throw new Error('a PII key must be 32 bytes, base64url')
  const sub = (info: string) => Buffer.from(hkdfSync('sha256', master, Buffer.alloc(0), info, 32))
  return { seal: sub('bianmin id-number seal'), hash: sub('bianmin id-number lookup') }
}

export function newKeySecret(): string {
  return randomBytes(32).toString('base64url')
}

export function parseKeyring(text: string): Keyring {
  const ring = JSON.parse(text) as Keyring
  if (!ring || typeof ring.current !== 'string' || typeof ring.keys !== 'object' || !ring.keys[ring.current]) throw new Error('the PII keyring has no current key')
  return ring
}

export class IdVault {
  private ring!: Keyring
  private derived = new Map<string, DerivedKey>()
  private loadedMtime = 0
  private checkedAt = 0

  constructor(readonly file: string) {
    readOrCreateSecret(file, () => JSON.stringify({ current: 'k1', keys: { k1: newKeySecret() } }))
    this.load()
  }

  private load(): void {
    this.ring = parseKeyring(readFileSync(this.file, 'utf8'))
    this.derived = new Map(Object.entries(this.ring.keys).map(([id, secret]) => [id, derive(secret)]))
    this.loadedMtime = statSync(this.file).mtimeMs
  }

  /** A rotation run by the command while the server runs rewrites the file: read it again when it changed (looked at once a second). */
  private fresh(): void {
    const now = Date.now()
    if (now - this.checkedAt < 1000) return
    this.checkedAt = now
    if (statSync(this.file).mtimeMs !== this.loadedMtime) this.load()
  }

  get currentKeyId(): string {
    this.fresh()
    return this.ring.current
  }

  get keyIds(): string[] {
    this.fresh()
    return Object.keys(this.ring.keys)
  }

  seal(plain: string): string {
    this.fresh()
    const keyId = this.ring.current
    const iv = randomBytes(12)
    const cipher = createCipheriv('aes-256-gcm', this.derived.get(keyId)!.seal, iv)
    const body = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()])
    return [SEALED_PREFIX, keyId, iv.toString('base64url'), body.toString('base64url'), cipher.getAuthTag().toString('base64url')].join('.')
  }

  open(sealed: string): string {
    const [prefix, keyId, iv, body, tag] = sealed.split('.')
    if (prefix !== SEALED_PREFIX) throw new Error('not a sealed value')
    let key = this.derived.get(keyId)
    if (!key) {
      // Sealed by a key added since this process read the keyring.
      this.load()
      key = this.derived.get(keyId)
      if (!key) throw new Error(`the PII keyring has no key ${keyId}`)
    }
    const decipher = createDecipheriv('aes-256-gcm', key.seal, Buffer.from(iv, 'base64url'))
    decipher.setAuthTag(Buffer.from(tag, 'base64url'))
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8')
  }

  /** The look-up hash under the current key: what a new row stores. */
  hash(plain: string): string {
    this.fresh()
    return this.hashUnder(this.ring.current, plain)
  }

  /** The hashes a row holding this value may carry, one per key in the keyring (rows not yet re-sealed keep an older key's). */
  lookupHashes(plain: string): string[] {
    this.fresh()
    return Object.keys(this.ring.keys).map((keyId) => this.hashUnder(keyId, plain))
  }

  private hashUnder(keyId: string, plain: string): string {
    return `${keyId}.${createHmac('sha256', this.derived.get(keyId)!.hash).update(plain, 'utf8').digest('base64url')}`
  }

  /** Adds a new key and makes it current, keeping the old ones until no row needs them. */
  addCurrentKey(): string {
    this.load()
    const next = `k${Math.max(0, ...Object.keys(this.ring.keys).map((id) => Number(id.slice(1)) || 0)) + 1}`
    this.write({ current: next, keys: { ...this.ring.keys, [next]: newKeySecret() } })
    return next
  }

  /** Drops keys no longer used by any row; the current key always stays. */
  dropKeys(unused: string[]): void {
    this.load()
    const keys = Object.fromEntries(Object.entries(this.ring.keys).filter(([id]) => id === this.ring.current || !unused.includes(id)))
    this.write({ current: this.ring.current, keys })
  }

  private write(ring: Keyring): void {
    const temp = `${this.file}.${process.pid}.tmp`
    writeFileSync(temp, `${JSON.stringify(ring)}\n`, { mode: 0o600 })
    renameSync(temp, this.file)
    this.load()
  }
}

/**
 * The process's vault. One keyring per process, like its configuration: set by buildApp and by
 * openDatabase (the commands and the migrations) from AppConfig.piiKeyFile.
 */
let active: IdVault | null = null

export function useIdVault(file: string): IdVault {
  if (active?.file !== file) active = new IdVault(file)
  return active
}

export function idVault(): IdVault {
  if (!active) throw new Error('no PII keyring configured: call useIdVault(config.piiKeyFile) at start-up')
  return active
}

/** The columns a row stores for an ID number (or for none). */
export function sealedIdNumber(idNumber: string | null): { idNumberSealed: string | null; idNumberHash: string | null } {
  if (!idNumber) return { idNumberSealed: null, idNumberHash: null }
  const vault = idVault()
  return { idNumberSealed: vault.seal(idNumber), idNumberHash: vault.hash(idNumber) }
}

export function openIdNumber(sealed: string | null): string | null {
  return sealed ? idVault().open(sealed) : null
}

export function idNumberHashes(idNumber: string): string[] {
  return idVault().lookupHashes(idNumber)
}
