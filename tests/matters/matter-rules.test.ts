import t from 'tap'
import { checkMatter, checkCatalogue, type MatterInput } from '../../server/matters/matter-rules.ts'
import { demoCatalogue } from '../../server/demo/matters.ts'
import { yuanToFen, formatFen as fenToYuan } from '../../server/fees/money.ts'

const base = (): MatterInput => structuredClone(demoCatalogue().matters.find((m) => m.code === 'MZ-03')!)

t.test('the demo catalogue holds the 32 proxy items and one not-proxiable example, all valid', async (t) => {
  const catalogue = demoCatalogue()
  t.equal(catalogue.matters.filter((m) => m.proxiable).length, 32)
  t.equal(catalogue.matters.filter((m) => !m.proxiable).length, 1)
  t.same(checkCatalogue(structuredClone(catalogue)), [])
  const departments = new Set(catalogue.matters.map((m) => m.department))
  t.same([...departments].sort(), ['agriculture', 'broadcasting', 'civil_affairs', 'family_planning', 'forestry', 'labour', 'land', 'rural_finance'])
})

t.test('rules a schema cannot hold', async (t) => {
  const rows: [string, (m: MatterInput) => void, string, string][] = [
    ['promise over the law', (m) => ((m.promisedLimit = 31), (m.statutoryLimit = 30)), '/promisedLimit', 'matters.rule.promiseOverLaw'],
    ['not proxiable without reason', (m) => ((m.proxiable = false), (m.notProxiableReason = ' ')), '/notProxiableReason', 'matters.rule.reasonRequired'],
    ['proxiable without a form', (m) => (m.serviceForms = []), '/serviceForms', 'matters.rule.formsRequired'],
    ['posting rounds without days', (m) => ((m.postingRounds = 1), (m.postingDays = 0)), '/postingDays', 'matters.rule.postingPair'],
    ['posting days without rounds', (m) => ((m.postingRounds = 0), (m.postingDays = 7)), '/postingDays', 'matters.rule.postingPair'],
    ['a fee without basis', (m) => ((m.feeFen = 100), (m.feeBasis = '')), '/feeBasis', 'matters.rule.feeBasisRequired'],
    ['a material twice', (m) => m.materials.push({ ...m.materials[0] }), '/materials/6/name', 'matters.rule.materialTwice'],
  ]
  for (const [why, change, path, key] of rows) {
    const m = base()
    change(m)
    const problems = checkMatter(m)
    t.equal(problems.length, 1, why)
    t.equal(problems[0]?.path, path, `${why}: path`)
    t.equal(problems[0]?.key, key, `${why}: message`)
  }
  const equal = base()
  equal.promisedLimit = equal.statutoryLimit
  t.same(checkMatter(equal), [], 'a promise equal to the law is fine')
})

t.test('shape errors carry their path', async (t) => {
  const rows: [string, (m: Record<string, unknown>) => void, string][] = [
    ['missing name', (m) => delete m.name, '/name'],
    ['bad department', (m) => (m.department = 'police'), '/department'],
    ['negative limit', (m) => (m.statutoryLimit = -1), '/statutoryLimit'],
    ['fractional fee', (m) => (m.feeFen = 1.5), '/feeFen'],
    ['zero copies', (m) => ((m.materials as { copies: number }[])[0].copies = 0), '/materials/0/copies'],
    ['unknown field', (m) => (m.extra = 1), ''],
    ['code with spaces', (m) => (m.code = 'a b'), '/code'],
  ]
  for (const [why, change, path] of rows) {
    const m = base() as unknown as Record<string, unknown>
    change(m)
    const problems = checkMatter(m)
    t.ok(problems.length >= 1, why)
    t.equal(problems[0].path, path || '/', `${why}: ${problems[0].path}`)
  }
})

t.test('a catalogue lists every error at once, with paths', async (t) => {
  const catalogue = structuredClone(demoCatalogue()) as { format: string; matters: MatterInput[] }
  catalogue.matters[2].promisedLimit = 99
  catalogue.matters[5].code = catalogue.matters[1].code
  const problems = checkCatalogue(catalogue)
  t.same(
    problems.map((p) => p.path),
    ['/matters/2/promisedLimit', '/matters/5/code'],
  )
  t.same(checkCatalogue({ format: 'other', matters: [] }).map((p) => p.path), ['/format'])
  t.ok(checkCatalogue(null).length > 0)
})

t.test('money typed in yuan becomes integer fen', async (t) => {
  const rows: [string, number | null][] = [
    ['', 0], ['0', 0], ['12', 1200], ['12.5', 1250], ['12.50', 1250], ['0.01', 1], ['288.00', 28800],
    ['12.345', null], ['-1', null], ['1e3', null], ['１２', null], ['12,5', null], ['99999999', null],
  ]
  for (const [typed, fen] of rows) t.equal(yuanToFen(typed), fen, `"${typed}"`)
  t.equal(fenToYuan(28800), '288.00')
  t.equal(fenToYuan('5'), '0.05')
})
