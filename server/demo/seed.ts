import { sql } from 'kysely'
import type { Db } from '../db/connect.ts'
import type { Department } from '../db/schema.ts'
import { hashPassword } from '../accounts/passwords.ts'
import { importCatalogue } from '../matters/matters.service.ts'
import { demoCatalogue } from './matters.ts'
import { seedDemoHistory, type HistorySummary } from './history.ts'
import { seedDemoAccess } from './access.ts'

/** Known to everyone who reads the README: demo data is for trying the product, never for production. */
export const DEMO_PASSWORD = 'demo1234'

const DEPARTMENT_CODES: Record<Exclude<Department, 'other'>, { code: string; name: string }> = {
  civil_affairs: { code: 'mz', name: '民政窗口' },
  labour: { code: 'lb', name: '劳动保障窗口' },
  family_planning: { code: 'js', name: '计生窗口' },
  land: { code: 'gt', name: '国土窗口' },
  forestry: { code: 'ly', name: '林业窗口' },
  agriculture: { code: 'ny', name: '农业窗口' },
  broadcasting: { code: 'gd', name: '广电窗口' },
  rural_finance: { code: 'hn', name: '惠农与农村财务窗口' },
}

/** The demo county's 统计用区划代码 prefix (province 51, city 07, county 22): towns add 3 digits, villages 3 more. */
const DEMO_COUNTY_DIVISION = '510722'
const TOWNS = [
  { code: 'JP', slug: 'jp', name: '锦屏镇', phone: '0816-3267166', division: '101', villages: ['高桥村', '后庄村', '东店村'] },
  { code: 'JL', slug: 'jl', name: '金龙镇', phone: '0816-3263361', division: '102', villages: ['河下村', '杨店村', '周村'] },
]
/** A department's code on the provincial platform, shaped like an 18-character organisation code: the place (0 for the county centre) and the department. */
const demoDepartmentCode = (place: number, department: Department) => `11${DEMO_COUNTY_DIVISION}${place}${String(Object.keys(DEPARTMENT_CODES).indexOf(department) + 1).padStart(2, '0')}0000000`

const AGENT_NAMES = ['王建国', '李秀英', '张志强', '刘桂兰', '陈德明', '杨春梅', '赵国华', '黄丽娟', '周永福', '吴淑芬', '徐海涛', '孙玉珍']
const CLERK_SURNAMES = ['郑', '冯', '何', '高', '罗', '梁', '宋', '谢', '韩', '唐', '许', '邓', '曹', '彭', '曾', '萧', '田', '董', '潘', '袁']

export interface SeedResult {
  password: string
  logins: string[]
  history: HistorySummary | null
}

export interface SeedOptions {
  /** The instant the demo county's history ends (the app's clock). */
  now?: Date
  timeZone?: string
  /** Three months of cases, visits, fees and notices; off only where a test wants the bare county. */
  history?: boolean
}

/** Creates the demo county when the database has none; returns the demo logins, or null when data exists. */
export async function seedDemoIfEmpty(db: Db, options: SeedOptions = {}): Promise<SeedResult | null> {
  const passwordHash = await hashPassword(DEMO_PASSWORD)
  const seeded = await db.transaction().execute(async (trx) => {
    // Two instances starting together must not both seed.
    await sql`select pg_advisory_xact_lock(7211001)`.execute(trx)
    const existing = await trx.selectFrom('counties').select('id').limit(1).executeTakeFirst()
    if (existing) return null

    const logins: string[] = []
    const user = async (values: Parameters<typeof insertDemoUser>[1], note: string) => {
      await insertDemoUser(trx, values, passwordHash)
      logins.push(`${values.username.padEnd(12)} ${note}`)
    }
    const { id: countyId } = await trx.insertInto('counties').values({ code: 'DEMO', name: '示范县（演示数据）' }).returning('id').executeTakeFirstOrThrow()

    await user({ countyId, username: 'admin', displayName: '系统管理员', role: 'admin' }, '系统管理员 admin')
    await user({ countyId, username: 'county.sup', displayName: '县中心主任', role: 'supervisor' }, '县级监督员 county supervisor')

    for (const dept of ['civil_affairs', 'labour', 'land'] as const) {
      const { id: windowId } = await trx
        .insertInto('windows')
        .values({ countyId, townId: null, department: dept, name: `县${DEPARTMENT_CODES[dept].name}`, phone: '0816-3226765', departmentCode: demoDepartmentCode(0, dept) })
        .returning('id')
        .executeTakeFirstOrThrow()
      await insertDemoUser(trx, { countyId, username: `xian.${DEPARTMENT_CODES[dept].code}`, displayName: `县${DEPARTMENT_CODES[dept].name}`, role: 'clerk', windowId }, passwordHash)
    }

    let agentIndex = 0
    let clerkIndex = 0
    for (const [townIndex, town] of TOWNS.entries()) {
      const townDivision = `${DEMO_COUNTY_DIVISION}${town.division}`
      const { id: townId } = await trx
        .insertInto('towns')
        .values({ countyId, code: town.code, name: town.name, phone: town.phone, address: `${town.name}人民政府一楼便民服务大厅`, divisionCode: `${townDivision}000` })
        .returning('id')
        .executeTakeFirstOrThrow()
      await user({ countyId, username: `${town.slug}.sup`, displayName: `${town.name}中心主任`, role: 'supervisor', townId }, `${town.name}监督员 town supervisor`)
      for (const [department, { code, name }] of Object.entries(DEPARTMENT_CODES)) {
        const { id: windowId } = await trx
          .insertInto('windows')
          .values({ countyId, townId, department: department as Department, name, phone: town.phone, departmentCode: demoDepartmentCode(townIndex + 1, department as Department) })
          .returning('id')
          .executeTakeFirstOrThrow()
        const values = { countyId, username: `${town.slug}.${code}`, displayName: `${CLERK_SURNAMES[clerkIndex++ % CLERK_SURNAMES.length]}${name.replace('窗口', '')}`, role: 'clerk' as const, windowId }
        if (department === 'civil_affairs') await user(values, `${town.name}${name} window clerk`)
        else await insertDemoUser(trx, values, passwordHash)
      }
      for (const [index, villageName] of town.villages.entries()) {
        const villageCode = `${town.code}${String(index + 1).padStart(2, '0')}`
        const { id: villageId } = await trx
          .insertInto('villages')
          .values({
            countyId,
            townId,
            code: villageCode,
            name: villageName,
            stationPhone: `0816-32${String(60000 + agentIndex * 11).slice(0, 5)}`,
            officeHours: '周一至周五 8:30–12:00，14:00–17:30；逢场天全天',
            address: `${villageName.replace(/村$/, '')}村委会一楼便民服务代办站`,
            // Village committees are numbered from 201 within their town.
            divisionCode: `${townDivision}${201 + index}`,
          })
          .returning('id')
          .executeTakeFirstOrThrow()
        for (const post of ['A', 'B'] as const) {
          const values = {
            countyId,
            username: `${villageCode.toLowerCase()}.${post.toLowerCase()}`,
            displayName: AGENT_NAMES[agentIndex++ % AGENT_NAMES.length],
            role: 'agent' as const,
            post,
            villageId,
            phone: `138${String(10000000 + agentIndex * 7919).slice(0, 8)}`,
          }
          if (post === 'A') await user(values, `${town.name}${villageName}代办员 agent (A岗)`)
          else await insertDemoUser(trx, values, passwordHash)
        }
      }
    }
    return { countyId, logins }
  })
  if (!seeded) return null
  await importCatalogue(db, null, seeded.countyId, demoCatalogue(), { demo: true })
  const now = options.now ?? new Date()
  const timeZone = options.timeZone ?? 'Asia/Shanghai'
  const history = options.history === false ? null : await seedDemoHistory(db, seeded.countyId, { now, timeZone })
  if (history) await seedDemoAccess(db, seeded.countyId, now, timeZone)
  // People read their inbox: the months of replayed history leave only the last two days' messages unread.
  await db.updateTable('notifications').set({ readAt: sql`created_at` }).where('countyId', '=', seeded.countyId).where('createdAt', '<', new Date(now.getTime() - 2 * 86_400_000)).execute()
  return { password: DEMO_PASSWORD, logins: seeded.logins, history }
}

async function insertDemoUser(
  db: Db,
  values: { countyId: number; username: string; displayName: string; role: 'agent' | 'clerk' | 'supervisor' | 'admin'; post?: 'A' | 'B'; villageId?: number; windowId?: number; townId?: number; phone?: string },
  passwordHash: string,
): Promise<void> {
  await db
    .insertInto('users')
    .values({
      countyId: values.countyId,
      username: values.username,
      displayName: values.displayName,
      role: values.role,
      post: values.post ?? null,
      villageId: values.villageId ?? null,
      windowId: values.windowId ?? null,
      townId: values.townId ?? null,
      phone: values.phone ?? '',
      passwordHash,
    })
    .execute()
}
