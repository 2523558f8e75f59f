import { DEFAULT_TIME_ZONE } from '../calendar/local-time.ts'
import { readOrCreateSecret } from './secret-file.ts'
import path from 'node:path'

/**
 * All configuration, read and checked once. Nothing else in the code reads process.env.
 */
export interface AppConfig {
  env: 'production' | 'development' | 'test'
  host: string
  port: number
  dataDir: string
  /** When set, an external PostgreSQL is used and no embedded server is started. */
  databaseUrl: string | null
  embeddedPgPort: number
  jwtSecret: string
  /** The keyring that seals ID numbers at rest (privacy/id-vault.ts): outside the database, never in a backup. */
  piiKeyFile: string
  timeZone: string
  /** Seed the demo county on first start with an empty database. */
  demoData: boolean
  /** Serve cookies with the Secure flag (behind HTTPS). */
  secureCookies: boolean
  logLevel: string
  sessionIdleHours: number
  /** A session ends this long after sign-in, however active. */
  sessionMaxHours: number
  loginRateLimitPerMinute: number
  /**
   * Which proxies may tell the client's address (X-Forwarded-For): false (none: the socket's address
   * counts), true (any — only behind a proxy that overwrites the header), or the proxies' addresses.
   * Rate limits and lockouts key on that address, so trusting everyone would let a guesser pick one.
   */
  trustProxy: boolean | string
  /** Case look-ups per minute and address: guessing case numbers must stay slow. */
  lookupRateLimitPerMinute: number
  /** Open311 API calls per minute and address: its public GETs and partners' POSTs, kept slow like the look-up. */
  open311RateLimitPerMinute: number
  /** Serve /bench/floor/* — a bare route and a one-row query — for `npm run bench` only. */
  benchFloors: boolean
  /** The address villagers reach the app at: printed QR codes and board posters point there. */
  publicBaseUrl: string
  /** Whether PUBLIC_BASE_URL was given; without it the address is a guess (this machine). */
  publicBaseUrlSet: boolean
  /** Chromium for PDFs: PUPPETEER_EXECUTABLE_PATH, else found on the machine. */
  chromiumPath: string | null
  pdfConcurrency: number
  /** CSV exports streaming at once (one per user). */
  exportConcurrency: number
  pdfQueueTimeoutMs: number
  /** Days after the reply before the agent is reminded of a missing rating, and before the case closes without one. */
  ratingReminderDays: number
  ratingCloseDays: number
  /** Recorded when no rating came in time; null leaves the case unrated. */
  defaultRating: 'satisfied' | 'basic' | null
  /** Where text messages go: an HTTP endpoint taking {phone, body}; unset, they are written to the log. */
  smsWebhookUrl: string | null
  /**
   * Where ratings go (the provincial 好差评 platform): each is POSTed there once as its JSON record.
   * Every rating is queued whether or not it is set; unset, the queue is held, and setting it later
   * sends what waited.
   */
  ratingPushUrl: string | null
  /** Working days a unit has to rectify a bad rating. */
  rectificationDays: number
  /** Years without a case or visit after which an applicant's file is anonymised (privacy/retention.ts). */
  anonymiseAfterYears: number
  /** Years the records of who saw whose personal data are kept; never fewer than three. */
  accessRecordYears: number
  /** Days an uploaded import workbook (names, ID numbers in clear) stays in DATA_DIR after its import finished. */
  importWorkbookDays: number
  /** Heap (MB) of the child process that reads an uploaded workbook, outside the web process. */
  importWorkerHeapMb: number
  /** The unusual-access page lists whoever revealed this many different applicants' ID numbers or phones in one day. */
  unusualRevealsPerDay: number
}

export class ConfigError extends Error {}

function readInt(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  const value = Number(raw)
  if (!Number.isInteger(value) || value < 0) throw new ConfigError(`${name} must be a non-negative integer, got "${raw}"`)
  return value
}

/** A number of years no shorter than `minimum`: a retention period the law or the rules set a floor to. */
function readYears(env: NodeJS.ProcessEnv, name: string, fallback: number, minimum: number, why: string): number {
  const years = readInt(env, name, fallback)
  if (years < minimum) throw new ConfigError(`${name} must be at least ${minimum} (${why}), got "${env[name]}"`)
  return years
}

function readBool(env: NodeJS.ProcessEnv, name: string, fallback: boolean): boolean {
  const raw = env[name]
  if (raw === undefined || raw === '') return fallback
  if (/^(1|true|yes|on)$/i.test(raw)) return true
  if (/^(0|false|no|off)$/i.test(raw)) return false
  throw new ConfigError(`${name} must be true or false, got "${raw}"`)
}

/** A secret kept in DATA_DIR so sessions survive restarts without a secret in the code. */
function loadOrCreateSecret(dataDir: string, file: string): string {
  return readOrCreateSecret(path.join(dataDir, file)).value
}

function readTrustProxy(raw: string | undefined): boolean | string {
  if (raw === undefined || raw === '' || /^(0|false|no|off)$/i.test(raw)) return false
  if (/^(1|true|yes|on)$/i.test(raw)) return true
  if (/^[0-9a-fA-F.:/,\s]+$/.test(raw) || raw === 'loopback') return raw
  throw new ConfigError(`TRUST_PROXY must be false, true or a list of proxy addresses, got "${raw}"`)
}

/** An http(s) address without a trailing slash (addresses are built as `${base}/lookup`). */
function readBaseUrl(raw: string | undefined): string | null {
  if (raw === undefined || raw === '') return null
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new ConfigError(`PUBLIC_BASE_URL must be an address such as https://bianmin.example.gov.cn, got "${raw}"`)
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new ConfigError(`PUBLIC_BASE_URL must start with http:// or https://, got "${raw}"`)
  return raw.replace(/\/+$/, '')
}

/**
 * Why the QR codes on printed documents and board posters would lead nowhere, or null: the base
 * address was not given (so it is a guess, this machine), or it names this machine, which no
 * villager's phone can reach. The administrator is told at start (printing plugin) and on the home page.
 */
export function publicBaseUrlProblem(config: Pick<AppConfig, 'publicBaseUrl' | 'publicBaseUrlSet'>): 'unset' | 'local' | null {
  if (!config.publicBaseUrlSet) return 'unset'
  let host: string
  try {
    host = new URL(config.publicBaseUrl).hostname
  } catch {
    return 'local'
  }
  const local = host === 'localhost' || host.endsWith('.localhost') || /^127\./.test(host) || host === '0.0.0.0' || host === '[::1]' || host === '[::]'
  return local ? 'local' : null
}

/** The log line for an operator (not translated: logs are read by whoever runs the server). */
export function publicBaseUrlWarning(config: Pick<AppConfig, 'publicBaseUrl' | 'publicBaseUrlSet'>): string | null {
  switch (publicBaseUrlProblem(config)) {
    case 'unset':
      return `PUBLIC_BASE_URL is not set: the QR codes on printed documents and board posters point at ${config.publicBaseUrl}, which villagers cannot open. Set it to the address people reach this server at.`
    case 'local':
      return `PUBLIC_BASE_URL is ${config.publicBaseUrl}, this machine: the QR codes on printed documents and board posters lead nowhere from a villager's phone. Set it to the address people reach this server at.`
    default:
      return null
  }
}

function readDefaultRating(raw: string | undefined): 'satisfied' | 'basic' | null {
  if (raw === undefined || raw === '' || raw === 'none') return null
  if (raw === 'satisfied' || raw === 'basic') return raw
  throw new ConfigError(`DEFAULT_RATING must be satisfied, basic or none, got "${raw}"`)
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<AppConfig> = {}): AppConfig {
  const nodeEnv = env.NODE_ENV === 'production' ? 'production' : env.NODE_ENV === 'test' ? 'test' : 'development'
  const dataDir = path.resolve(overrides.dataDir ?? env.DATA_DIR ?? './data')
  const port = readInt(env, 'PORT', 3000)
  const timeZone = env.APP_TIME_ZONE ?? DEFAULT_TIME_ZONE
  try {
    new Intl.DateTimeFormat('en', { timeZone })
  } catch {
    throw new ConfigError(`APP_TIME_ZONE is not a known time zone: "${timeZone}"`)
  }
  const jwtSecret = overrides.jwtSecret ?? env.JWT_SECRET ?? loadOrCreateSecret(dataDir, 'jwt-secret')
  if (jwtSecret.length < 32) throw new ConfigError('JWT_SECRET must be at least 32 characters')
  const host = env.HOST ?? '0.0.0.0'
  return {
    env: nodeEnv,
    host,
    port,
    dataDir,
    databaseUrl: env.DATABASE_URL || null,
    embeddedPgPort: readInt(env, 'EMBEDDED_PG_PORT', 54329),
    jwtSecret,
    piiKeyFile: env.PII_KEY_FILE ? path.resolve(env.PII_KEY_FILE) : path.join(dataDir, 'pii-keys.json'),
    timeZone,
    demoData: readBool(env, 'DEMO_DATA', nodeEnv !== 'production'),
    secureCookies: readBool(env, 'SECURE_COOKIES', nodeEnv === 'production'),
    logLevel: env.LOG_LEVEL ?? (nodeEnv === 'test' ? 'silent' : 'info'),
    sessionIdleHours: readInt(env, 'SESSION_IDLE_HOURS', 8),
    sessionMaxHours: readInt(env, 'SESSION_MAX_HOURS', 12),
    loginRateLimitPerMinute: readInt(env, 'LOGIN_RATE_LIMIT_PER_MINUTE', 20),
    lookupRateLimitPerMinute: readInt(env, 'LOOKUP_RATE_LIMIT_PER_MINUTE', 10),
    open311RateLimitPerMinute: readInt(env, 'OPEN311_RATE_LIMIT_PER_MINUTE', 60),
    trustProxy: readTrustProxy(env.TRUST_PROXY),
    benchFloors: readBool(env, 'BENCH_FLOORS', false),
    publicBaseUrl: readBaseUrl(env.PUBLIC_BASE_URL) ?? `http://localhost:${port}`,
    publicBaseUrlSet: Boolean(env.PUBLIC_BASE_URL) || overrides.publicBaseUrl !== undefined,
    chromiumPath: env.PUPPETEER_EXECUTABLE_PATH || null,
    pdfConcurrency: Math.max(1, readInt(env, 'PDF_CONCURRENCY', 2)),
    exportConcurrency: Math.max(1, readInt(env, 'EXPORT_CONCURRENCY', 3)),
    pdfQueueTimeoutMs: readInt(env, 'PDF_QUEUE_TIMEOUT_MS', 10000),
    ratingReminderDays: readInt(env, 'RATING_REMINDER_DAYS', 3),
    ratingCloseDays: readInt(env, 'RATING_CLOSE_DAYS', 7),
    defaultRating: readDefaultRating(env.DEFAULT_RATING),
    smsWebhookUrl: env.SMS_WEBHOOK_URL || null,
    ratingPushUrl: env.RATING_PUSH_URL || null,
    rectificationDays: readInt(env, 'RECTIFICATION_DAYS', 10),
    anonymiseAfterYears: readYears(env, 'ANONYMISE_AFTER_YEARS', 5, 1, 'a file is anonymised no sooner than a year after its last case or visit'),
    accessRecordYears: readYears(env, 'ACCESS_RECORD_YEARS', 3, 3, 'records of access to personal data are kept three years'),
    importWorkbookDays: Math.max(1, readInt(env, 'IMPORT_WORKBOOK_DAYS', 30)),
    importWorkerHeapMb: Math.max(16, readInt(env, 'IMPORT_WORKER_HEAP_MB', 160)),
    unusualRevealsPerDay: Math.max(1, readInt(env, 'UNUSUAL_REVEALS_PER_DAY', 20)),
    ...overrides,
  }
}
