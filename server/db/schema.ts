import type { ColumnType, Generated, GeneratedAlways, Insertable, Selectable, Updateable } from 'kysely'

/** A timestamp the database fills in; read back as a Date. */
type CreatedAt = ColumnType<Date, Date | string | undefined, never>
type Timestamp = ColumnType<Date, Date | string, Date | string>
/**
 * A last-changed time: optional on insert (the database default fills it), set from the app's clock
 * on update. Generated<Timestamp> nested one ColumnType in another, so no Date could be written.
 */
type UpdatedAt = ColumnType<Date, Date | string | undefined, Date | string>
type Json<T> = ColumnType<T, string | T, string | T>
/** A JSON column with a database default: optional on insert. */
type JsonDefault<T> = ColumnType<T, string | T | undefined, string | T>

export const DEPARTMENTS = [
  'civil_affairs',
  'labour',
  'family_planning',
  'land',
  'forestry',
  'agriculture',
  'broadcasting',
  'rural_finance',
  'other',
] as const
export type Department = (typeof DEPARTMENTS)[number]

export const ROLES = ['agent', 'clerk', 'supervisor', 'admin'] as const
export type Role = (typeof ROLES)[number]

export interface CountiesTable {
  id: Generated<number>
  code: string
  name: string
  createdAt: CreatedAt
}

export interface TownsTable {
  id: Generated<number>
  countyId: number
  code: string
  name: string
  phone: Generated<string>
  address: Generated<string>
  /** 12-digit administrative division code (统计用区划代码), '' until set. */
  divisionCode: Generated<string>
  createdAt: CreatedAt
}

export interface VillagesTable {
  id: Generated<number>
  countyId: number
  townId: number
  code: string
  name: string
  stationPhone: Generated<string>
  officeHours: Generated<string>
  address: Generated<string>
  /** 12-digit administrative division code (统计用区划代码), '' until set. */
  divisionCode: Generated<string>
  createdAt: CreatedAt
}

export interface WindowsTable {
  id: Generated<number>
  countyId: number
  townId: number | null
  department: Department
  name: string
  phone: Generated<string>
  active: Generated<boolean>
  /** The implementing department's code on the provincial platform, '' until set. */
  departmentCode: Generated<string>
  createdAt: CreatedAt
}

export interface UsersTable {
  id: Generated<number>
  countyId: number
  username: string
  displayName: string
  phone: Generated<string>
  role: Role
  post: 'A' | 'B' | null
  villageId: number | null
  windowId: number | null
  townId: number | null
  passwordHash: string
  tokenVersion: Generated<number>
  disabled: Generated<boolean>
  lockedUntil: Timestamp | null
  createdAt: CreatedAt
  updatedAt: UpdatedAt
}

export interface LookupFailuresTable {
  id: Generated<string>
  caseNo: string
  /** The address the wrong tail came from: failures are counted per address and number. */
  ip: string
  at: CreatedAt
}

export interface LoginFailuresTable {
  id: Generated<string>
  userId: number
  ip: string
  at: CreatedAt
}

export interface AuditEventsTable {
  id: Generated<string>
  countyId: number
  actorId: number | null
  action: string
  subjectType: string
  subjectId: string
  data: Json<Record<string, unknown>>
  at: CreatedAt
}

export type PersonalDataField = 'id_number' | 'phone'

/** One reveal, export or access report of personal data (migration 2026_12_06_012). */
export interface PersonalDataAccessTable {
  id: Generated<string>
  countyId: number
  actorId: number
  at: CreatedAt
  kind: 'reveal' | 'export' | 'report'
  applicantId: number | null
  field: PersonalDataField | null
  /** The page the reveal was made from, or the export's path. */
  page: string
  exportName: string | null
  rowCount: number | null
  /** The applicants whose data an export carried, for the villager's access report. */
  applicantIds: number[] | null
}

export interface CalendarDaysTable {
  date: string
  kind: 'holiday' | 'workday'
  name: string
  source: Generated<string>
  updatedBy: number | null
  updatedAt: UpdatedAt
}

export interface CalendarChangesTable {
  id: Generated<string>
  date: string
  oldKind: string | null
  newKind: string | null
  name: Generated<string>
  actorId: number | null
  at: CreatedAt
}

/** One row: raised by a trigger on every change to calendar_days or regional_holidays (cache check). */
export interface CalendarVersionTable {
  id: Generated<boolean>
  version: Generated<string>
}

export interface RegionalHolidaysTable {
  id: Generated<number>
  countyId: number
  date: string
  name: string
  addedBy: number | null
  addedAt: CreatedAt
  removedBy: number | null
  removedAt: Timestamp | null
}

export const CASE_TYPES = ['on_the_spot', 'promised', 'joint', 'referred'] as const
export type CaseType = (typeof CASE_TYPES)[number]
export const SERVICE_FORMS = ['proxy', 'help', 'accompany'] as const
export type ServiceForm = (typeof SERVICE_FORMS)[number]
export const MATERIAL_FORMS = ['original', 'copy', 'original_and_copy'] as const
export const POSTING_FIELDS = ['household_head', 'household_size', 'amount', 'village_group', 'proposed_result'] as const

export interface Material {
  name: string
  form: (typeof MATERIAL_FORMS)[number]
  copies: number
  required: boolean
  note: string
}

export interface MattersTable {
  id: Generated<number>
  countyId: number
  code: string
  currentVersion: Generated<number>
  active: Generated<boolean>
  demo: Generated<boolean>
  createdAt: CreatedAt
}

export interface MatterVersionsTable {
  id: Generated<number>
  matterId: number
  countyId: number
  version: number
  name: string
  department: Department
  caseType: CaseType
  serviceForms: ServiceForm[]
  proxiable: boolean
  notProxiableReason: Generated<string>
  materials: Json<Material[]>
  legalBasis: string
  conditions: string
  procedure: Json<string[]>
  statutoryLimit: number
  promisedLimit: number
  limitUnit: 'working' | 'calendar'
  forwardLimit: Generated<number>
  replyLimit: Generated<number>
  /** pg returns bigint as a string; parsed on purpose where summed. */
  feeFen: ColumnType<string, string | number | bigint | undefined, never>
  feeBasis: Generated<string>
  complaintChannel: string
  silenceConsent: Generated<boolean>
  /** Its cases never appear on the public monthly case list (sensitive matters). */
  keepOffPublicList: Generated<boolean>
  postingRounds: Generated<number>
  postingDays: Generated<number>
  postingFields: ColumnType<string[], string[] | undefined, never>
  createdBy: number | null
  createdAt: CreatedAt
}

export const STAGES = ['registered', 'awaiting_materials', 'accepted', 'rejected', 'forwarded', 'in_progress', 'completed', 'replied', 'closed', 'withdrawn'] as const
export type Stage = (typeof STAGES)[number]
export const VULNERABLE = ['none', 'lonely_elderly', 'sick_disabled', 'five_guarantees'] as const
/** How a request reached the station: what an agent records at the counter… */
export const COUNTER_CHANNELS = ['station', 'home', 'phone', 'hotline'] as const
/** …and the partner channels that file through the Open311 API with a key. */
export const PARTNER_CHANNELS = ['hotline', 'mini_program', 'portal'] as const
export type PartnerChannel = (typeof PARTNER_CHANNELS)[number]
export const CHANNELS = ['station', 'home', 'phone', 'hotline', 'mini_program', 'portal'] as const
export const CASE_SERVICE_FORMS = ['proxy', 'help', 'accompany', 'on_the_spot'] as const
export const OUTCOMES = ['approved', 'refused', 'referred', 'voided'] as const
export const RATINGS = ['very_satisfied', 'satisfied', 'basic', 'dissatisfied', 'very_dissatisfied'] as const
export type Rating = (typeof RATINGS)[number]

export interface PauseRecord {
  from: string
  to: string | null
  reason: string
}

export interface ApplicantsTable {
  id: Generated<number>
  countyId: number
  villageId: number
  name: string
  /** The ID number sealed under the PII keyring (privacy/id-vault.ts); never stored in clear. */
  idNumberSealed: string | null
  /** Its keyed hash, for exact look-up: `<key id>.<HMAC>`. */
  idNumberHash: string | null
  phone: string
  villageGroup: Generated<string>
  address: Generated<string>
  vulnerable: Generated<(typeof VULNERABLE)[number]>
  createdBy: number | null
  createdAt: CreatedAt
  /** When the retention job anonymised the file (privacy/retention.ts); null: the file is whole. */
  anonymisedAt: Timestamp | null
  /** The name's characters and adjacent pairs, kept by the database (name_grams()); the index of name search. */
  nameGrams: GeneratedAlways<string[]>
}

export interface CasesTable {
  id: Generated<string>
  countyId: number
  townId: number
  villageId: number
  caseNo: string
  idempotencyKey: string
  /** Who issued the key: `station:<village id>`, `partner:<api key id>` or `import` (unique per county and scope). */
  idempotencyScope: string
  applicantId: number
  matterId: number
  matterVersionId: number
  channel: (typeof CHANNELS)[number]
  serviceForm: (typeof CASE_SERVICE_FORMS)[number]
  homeService: Generated<boolean>
  stage: Stage
  version: Generated<number>
  agentId: number
  windowId: number | null
  materialsReceived: Json<string[]>
  summary: Generated<string>
  registeredOn: string
  acceptedOn: string | null
  forwardDue: string | null
  forwardedOn: string | null
  receivedOn: string | null
  completeDue: string | null
  completedOn: string | null
  replyDue: string | null
  repliedOn: string | null
  closedOn: string | null
  dueOn: string | null
  dueLimit: number | null
  pauses: JsonDefault<PauseRecord[]>
  pausedSince: string | null
  outcome: (typeof OUTCOMES)[number] | null
  outcomeReason: Generated<string>
  deemedApproved: Generated<boolean>
  handback: JsonDefault<string[]>
  extensionToTell: Generated<boolean>
  rating: Rating | null
  /** The partner key that filed the case through the Open311 API; null for the counter. */
  apiKeyId: Generated<number | null>
  createdAt: CreatedAt
  updatedAt: UpdatedAt
}

export interface CaseCountersTable {
  villageId: number
  day: string
  lastSeq: number
}

export interface CaseEventsTable {
  id: Generated<string>
  countyId: number
  caseId: string
  villageId: number
  prevHash: string
  hash: string
  actorId: number | null
  actorRole: string
  action: string
  fromStage: Stage | null
  toStage: Stage
  note: Generated<string>
  data: Json<Record<string, unknown>>
  at: CreatedAt
}

export interface CaseAssistsTable {
  id: Generated<number>
  caseId: string
  question: string
  dueOn: string
  askedBy: number
  askedAt: CreatedAt
  answer: string | null
  answeredBy: number | null
  answeredAt: Timestamp | null
  /** Set when the window completed the case without waiting for the answer. */
  withdrawnAt: Timestamp | null
}

export interface CaseExtensionsTable {
  id: Generated<number>
  caseId: string
  reason: string
  oldDue: string
  newDue: string
  status: Generated<'pending' | 'approved' | 'refused'>
  requestedBy: number
  requestedAt: CreatedAt
  decidedBy: number | null
  decidedAt: Timestamp | null
  decisionNote: Generated<string>
}

export interface CaseRatingsTable {
  caseId: string
  countyId: number
  overall: Rating
  efficiency: number
  competence: number
  attitude: number
  satisfaction: number
  comment: Generated<string>
  recordedBy: number | null
  recordedAt: CreatedAt
  byDefault: Generated<boolean>
}

export interface MonthlyStatsTable {
  countyId: number
  month: string
  data: Json<Record<string, unknown>>
  computedAt: CreatedAt
}

export const VISIT_PURPOSES = ['consult', 'business', 'complaint', 'other'] as const
export const FEE_KINDS = ['collect', 'refund', 'remit', 'reversal'] as const
export type FeeKind = (typeof FEE_KINDS)[number]

export interface VisitsTable {
  id: Generated<string>
  countyId: number
  townId: number
  villageId: number
  visitedAt: Timestamp
  visitDate: string
  people: number
  purpose: (typeof VISIT_PURPOSES)[number]
  applicantId: number | null
  told: Generated<string>
  caseId: string | null
  recordedBy: number
  createdAt: CreatedAt
  /** Set on visits brought in from a workbook: its natural key (imports/kinds.ts). */
  importKey: Generated<string | null>
}

/** Money is integer fen in bigint; pg returns it as a string, parsed with BigInt where summed. */
type Fen = ColumnType<string, string | number | bigint, never>

export interface FeeEntriesTable {
  id: Generated<string>
  countyId: number
  townId: number
  villageId: number
  serial: string
  day: string
  seq: number
  kind: FeeKind
  amountFen: Fen
  department: string
  payer: Generated<string>
  caseId: string | null
  applicantId: number | null
  reversesId: string | null
  note: Generated<string>
  enteredBy: number
  enteredAt: Timestamp
  prevHash: string
  hash: string
}

export interface FeeCountersTable {
  villageId: number
  day: string
  lastSeq: number
}

export interface AgentSettlementsTable {
  id: Generated<string>
  villageId: number
  agentId: number
  day: string
  totals: Json<Record<string, string>>
  totalFen: Fen
  settledAt: CreatedAt
}

export interface StationSettlementsTable {
  id: Generated<string>
  villageId: number
  day: string
  expectedFen: Fen
  declaredFen: Fen
  differenceFen: Fen
  totals: Json<Record<string, string>>
  note: Generated<string>
  settledBy: number
  settledAt: CreatedAt
}

export const NOTICE_KINDS = ['posting', 'monthly_list', 'announcement'] as const
export type NoticeKind = (typeof NOTICE_KINDS)[number]

export interface NoticesTable {
  id: Generated<string>
  countyId: number
  townId: number
  villageId: number
  kind: NoticeKind
  title: string
  content: Json<Record<string, unknown>>
  shownFrom: string
  shownTo: string | null
  status: 'pending' | 'published' | 'withdrawn'
  caseId: string | null
  round: number | null
  month: string | null
  replacesId: string | null
  postingClosedOn: string | null
  createdBy: number
  createdAt: CreatedAt
  publishedAt: Timestamp | null
  approvedBy: number | null
  withdrawnReason: string | null
  withdrawnBy: number | null
  withdrawnAt: Timestamp | null
}

export interface PostingObjectionsTable {
  id: Generated<number>
  noticeId: string
  caseId: string
  receivedOn: string
  content: string
  outcome: string | null
  resolvedOn: string | null
  recordedBy: number
  resolvedBy: number | null
}

export interface JobRunsTable {
  id: Generated<string>
  job: string
  startedAt: Timestamp
  finishedAt: Timestamp | null
  rows: Generated<number>
  error: string | null
  instance: string
  /** The scheduled time this run was for (unique per job); null for a run started by hand. */
  slot: ColumnType<Date | null, Date | string | null | undefined, never>
}

export interface CaseAlertsTable {
  caseId: string
  dueKind: string
  dueOn: string
  level: 'due_soon' | 'overdue' | 'very_overdue'
  createdAt: CreatedAt
}

export interface NotificationsTable {
  id: Generated<string>
  countyId: number
  userId: number
  kind: string
  caseId: string | null
  params: Json<Record<string, unknown>>
  createdAt: CreatedAt
  readAt: Timestamp | null
}

export type RectificationStatus = 'open' | 'submitted' | 'accepted' | 'returned' | 'appealed' | 'appeal_upheld'

export interface RectificationsTable {
  id: Generated<number>
  countyId: number
  townId: number
  caseId: string
  villageId: number | null
  windowId: number | null
  rating: Rating
  comment: Generated<string>
  dueOn: string
  status: RectificationStatus
  callback: Generated<string>
  fixed: Generated<string>
  reply: Generated<string>
  appealReason: Generated<string>
  decisionNote: Generated<string>
  createdAt: CreatedAt
  updatedAt: UpdatedAt
}

export interface RectificationEventsTable {
  id: Generated<string>
  rectificationId: number
  actorId: number | null
  action: string
  fromStatus: string | null
  toStatus: string
  note: Generated<string>
  at: CreatedAt
}

export interface SmsOutboxTable {
  id: Generated<string>
  countyId: number
  caseId: string | null
  phone: string
  template: string
  body: string
  status: Generated<'pending' | 'sent' | 'failed'>
  attempts: Generated<number>
  nextAttemptAt: ColumnType<Date, Date | string | undefined, Date | string>
  lastError: string | null
  createdAt: CreatedAt
  sentAt: Timestamp | null
}

/** A partner channel's key to the Open311 API; only its SHA-256 is stored. */
export interface ApiKeysTable {
  id: Generated<number>
  countyId: number
  /** Null: the whole county. */
  townId: number | null
  partner: string
  channel: PartnerChannel
  keyHash: string
  /** The key's last four characters, so an administrator can tell keys apart. */
  keyHint: string
  createdBy: number | null
  createdAt: CreatedAt
  revokedBy: number | null
  revokedAt: Timestamp | null
  lastUsedAt: Timestamp | null
}

/** One row per rating: pushed once to the provincial 好差评 platform (ratings/rating-push.ts). */
export interface RatingOutboxTable {
  id: Generated<string>
  countyId: number
  caseId: string
  status: Generated<'pending' | 'sent' | 'failed'>
  attempts: Generated<number>
  nextAttemptAt: ColumnType<Date, Date | string | undefined, Date | string>
  lastError: string | null
  createdAt: CreatedAt
  sentAt: Timestamp | null
}

export const IMPORT_KINDS = ['applicants', 'cases', 'visits'] as const
export type ImportKind = (typeof IMPORT_KINDS)[number]

/** A row's problem found by an import: its row number in the workbook, the column, what was there. */
export interface ImportProblem {
  row: number
  column: string
  value: string
  /** A locale key and its parameters: the page says it in the reader's language. */
  key: string
  params?: Record<string, unknown>
}

export interface ImportJobsTable {
  id: Generated<number>
  countyId: number
  kind: ImportKind
  mode: 'dry_run' | 'import'
  status: Generated<'queued' | 'running' | 'done' | 'refused' | 'failed'>
  fileName: string
  filePath: string
  fileSha256: string
  dryRunId: number | null
  totalRows: Generated<number>
  rowsDone: Generated<number>
  added: Generated<number>
  alreadyThere: Generated<number>
  errorCount: Generated<number>
  errors: JsonDefault<ImportProblem[]>
  message: Generated<string>
  createdBy: number
  createdAt: CreatedAt
  finishedAt: Timestamp | null
  /** Raised while the job runs: a running job whose heartbeat stopped was cut off (a restart). */
  heartbeatAt: Timestamp | null
  /** When the retention job removed the uploaded workbook from DATA_DIR (its problem list stays). */
  workbookRemovedAt: Timestamp | null
}

export interface Database {
  counties: CountiesTable
  towns: TownsTable
  villages: VillagesTable
  windows: WindowsTable
  users: UsersTable
  loginFailures: LoginFailuresTable
  lookupFailures: LookupFailuresTable
  auditEvents: AuditEventsTable
  personalDataAccess: PersonalDataAccessTable
  calendarDays: CalendarDaysTable
  calendarChanges: CalendarChangesTable
  regionalHolidays: RegionalHolidaysTable
  calendarVersion: CalendarVersionTable
  matters: MattersTable
  matterVersions: MatterVersionsTable
  applicants: ApplicantsTable
  cases: CasesTable
  caseCounters: CaseCountersTable
  caseEvents: CaseEventsTable
  caseAssists: CaseAssistsTable
  caseExtensions: CaseExtensionsTable
  caseRatings: CaseRatingsTable
  visits: VisitsTable
  feeEntries: FeeEntriesTable
  feeCounters: FeeCountersTable
  agentSettlements: AgentSettlementsTable
  stationSettlements: StationSettlementsTable
  notices: NoticesTable
  postingObjections: PostingObjectionsTable
  jobRuns: JobRunsTable
  caseAlerts: CaseAlertsTable
  notifications: NotificationsTable
  rectifications: RectificationsTable
  rectificationEvents: RectificationEventsTable
  monthlyStats: MonthlyStatsTable
  smsOutbox: SmsOutboxTable
  apiKeys: ApiKeysTable
  ratingOutbox: RatingOutboxTable
  importJobs: ImportJobsTable
}

export type County = Selectable<CountiesTable>
export type Town = Selectable<TownsTable>
export type Village = Selectable<VillagesTable>
export type Window = Selectable<WindowsTable>
export type User = Selectable<UsersTable>
export type NewUser = Insertable<UsersTable>
export type UserUpdate = Updateable<UsersTable>
export type Matter = Selectable<MattersTable>
export type MatterVersion = Selectable<MatterVersionsTable>
export type Applicant = Selectable<ApplicantsTable>
export type Case = Selectable<CasesTable>
