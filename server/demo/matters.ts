import type { MatterInput } from '../matters/matter-rules.ts'
import type { Material } from '../db/schema.ts'

/*
 * The 32 items a village station proxies (村级代办站代办事项), by department. Materials, limits and
 * fees are plausible demo values for an administrator to correct, not an official catalogue.
 */
const COMPLAINT = '县纪委监委监督电话 0816-3226765；县政务服务中心投诉电话 12345'

const ID_CARD: Material = { name: '居民身份证', form: 'original_and_copy', copies: 1, required: true, note: '' }
const HOUSEHOLD: Material = { name: '户口簿', form: 'original_and_copy', copies: 1, required: true, note: '' }
const APPLICATION: Material = { name: '书面申请', form: 'original', copies: 1, required: true, note: '本人签字或按手印' }
const PHOTO: Material = { name: '近期一寸免冠照片', form: 'original', copies: 2, required: true, note: '' }
const BANK: Material = { name: '本人银行卡或存折', form: 'copy', copies: 1, required: false, note: '用于发放补助' }
const m = (name: string, form: Material['form'] = 'original', required = true, note = ''): Material => ({ name, form, copies: 1, required, note })

type Item = Partial<MatterInput> & Pick<MatterInput, 'code' | 'name' | 'department' | 'materials' | 'legalBasis' | 'conditions' | 'procedure'>

function item(i: Item): MatterInput {
  return {
    caseType: 'promised',
    serviceForms: ['proxy', 'help', 'accompany'],
    proxiable: true,
    notProxiableReason: '',
    statutoryLimit: 20,
    promisedLimit: 15,
    limitUnit: 'working',
    forwardLimit: 3,
    replyLimit: 2,
    feeFen: 0,
    feeBasis: '不收费',
    complaintChannel: COMPLAINT,
    silenceConsent: false,
    keepOffPublicList: false,
    postingRounds: 0,
    postingDays: 0,
    postingFields: [],
    active: true,
    ...i,
  }
}

const MATTERS: MatterInput[] = [
  // 民政
  item({
    code: 'MZ-01', name: '救灾救济办理', department: 'civil_affairs',
    materials: [APPLICATION, ID_CARD, m('受灾情况说明', 'original', true, '村委会签章'), BANK],
    legalBasis: '《自然灾害救助条例》', conditions: '因自然灾害造成基本生活困难的本村居民。',
    procedure: ['村民申请', '代办员核实受灾情况并报送', '乡镇民政窗口审核', '县民政局审批', '发放救助'],
    statutoryLimit: 15, promisedLimit: 10,
  }),
  item({
    code: 'MZ-02', name: '农村五保对象申报办理', department: 'civil_affairs',
    materials: [APPLICATION, ID_CARD, HOUSEHOLD, m('无劳动能力或无赡养人证明', 'original', true, '村委会出具'), PHOTO],
    legalBasis: '《农村五保供养工作条例》', conditions: '老年、残疾或未满16周岁，无劳动能力、无生活来源、无法定赡养抚养扶养义务人的村民。',
    procedure: ['本人申请', '村民委员会民主评议', '村内张榜公示', '乡镇审核', '县民政局审批'],
    statutoryLimit: 30, promisedLimit: 25, postingRounds: 1, postingDays: 7, postingFields: ['household_head', 'village_group', 'proposed_result'],
  }),
  item({
    code: 'MZ-03', name: '农村低保对象申报办理', department: 'civil_affairs',
    materials: [APPLICATION, ID_CARD, HOUSEHOLD, m('家庭收入状况证明', 'original', true, '村委会出具'), m('家庭财产申报及授权核对书', 'original'), BANK],
    legalBasis: '《社会救助暂行办法》；《最低生活保障审核确认办法》', conditions: '家庭人均收入低于当地最低生活保障标准，且家庭财产符合规定的农村居民。',
    procedure: ['户主申请', '村（居）委会入户调查', '第一次张榜公示', '乡镇审查', '第二次张榜公示', '县民政局审批'],
    statutoryLimit: 30, promisedLimit: 25, postingRounds: 2, postingDays: 7, postingFields: ['household_head', 'household_size', 'amount', 'village_group'],
  }),
  item({
    code: 'MZ-04', name: '重特大病医疗救助申报办理', department: 'civil_affairs',
    materials: [APPLICATION, ID_CARD, HOUSEHOLD, m('住院病历及诊断证明', 'copy'), m('医疗费用发票及结算单', 'original'), m('低保证或五保证', 'copy', false, '低保户、五保户提供'), BANK],
    legalBasis: '《社会救助暂行办法》', conditions: '农村贫困农户（含低保户、五保户）患重特大疾病，经基本医保报销后自付费用较高的。',
    procedure: ['本人申请', '代办员收集材料报送', '乡镇民政窗口审核', '县民政局审批', '救助金发放'],
    // Listing it would tell the village who is seriously ill.
    statutoryLimit: 20, promisedLimit: 15, keepOffPublicList: true,
  }),
  // 计生
  item({
    code: 'JS-01', name: '《独生子女光荣证》办理', department: 'family_planning',
    materials: [APPLICATION, m('夫妻双方身份证', 'copy'), HOUSEHOLD, m('结婚证', 'copy'), m('子女出生医学证明', 'copy'), PHOTO],
    legalBasis: '《中华人民共和国人口与计划生育法》及省条例', conditions: '只生育一个子女并自愿终身不再生育的夫妻。',
    procedure: ['夫妻申请', '村代办员初审报送', '乡镇计生窗口审核发证'], statutoryLimit: 10, promisedLimit: 5,
  }),
  item({
    code: 'JS-02', name: '《流动人口婚育证明》办理', department: 'family_planning', caseType: 'on_the_spot',
    materials: [ID_CARD, m('结婚证', 'copy', false, '已婚者提供'), PHOTO],
    legalBasis: '《流动人口计划生育工作条例》', conditions: '外出务工经商的育龄人员。',
    procedure: ['本人申请', '乡镇计生窗口当场办理'], statutoryLimit: 1, promisedLimit: 1,
  }),
  item({
    code: 'JS-03', name: '一孩《生育服务证》办理', department: 'family_planning',
    materials: [m('夫妻双方身份证', 'copy'), HOUSEHOLD, m('结婚证', 'copy')],
    legalBasis: '《中华人民共和国人口与计划生育法》及省条例', conditions: '依法登记结婚的夫妻。',
    procedure: ['夫妻申请', '村代办员报送', '乡镇计生窗口登记发证'], statutoryLimit: 5, promisedLimit: 3,
  }),
  // 惠农政策和农村财务
  ...[
    ['HN-01', '生猪保险办理', '存栏生猪的养殖户。'],
    ['HN-02', '农作物保险办理', '种植参保作物的农户。'],
  ].map(([code, name, conditions]) =>
    item({
      code, name, department: 'rural_finance',
      materials: [ID_CARD, m('投保清单', 'original', true, '写明数量或面积'), BANK],
      legalBasis: '《农业保险条例》', conditions,
      procedure: ['农户申请', '代办员登记造册报送', '乡镇惠农窗口审核', '保险机构承保出单'],
      statutoryLimit: 10, promisedLimit: 5, feeFen: 1200, feeBasis: '农户自缴保费部分，按保险条款和财政补贴政策计算（演示金额）',
    }),
  ),
  item({
    code: 'HN-03', name: '家电下乡补贴申报办理', department: 'rural_finance',
    materials: [ID_CARD, HOUSEHOLD, m('购机发票', 'original'), m('产品标识卡', 'original'), BANK],
    legalBasis: '财政部、商务部家电下乡政策文件', conditions: '购买家电下乡产品的农村居民。',
    procedure: ['农户申报', '代办员审核报送', '乡镇财政所审核', '补贴资金发放'], statutoryLimit: 15, promisedLimit: 10,
  }),
  ...[
    ['HN-04', '生猪保险赔付申报办理', '参保生猪因保险责任范围内原因死亡的养殖户。', '死亡生猪照片及无害化处理证明'],
    ['HN-05', '农作物保险赔付申报办理', '参保农作物因保险责任范围内灾害受损的农户。', '受灾现场照片'],
  ].map(([code, name, conditions, evidence]) =>
    item({
      code, name, department: 'rural_finance',
      materials: [ID_CARD, m('保险单', 'copy'), m(evidence, 'original'), BANK],
      legalBasis: '《农业保险条例》', conditions,
      procedure: ['农户报案', '代办员协助查勘并报送', '保险机构定损', '赔款支付'], statutoryLimit: 10, promisedLimit: 10,
    }),
  ),
  // 劳动保障
  ...[
    ['LB-01', '城镇居民医疗保险参保办理', '未参加职工医保的城镇居民。', 28000],
    ['LB-02', '自由职业者医疗保险参保办理', '以灵活就业方式从业的人员。', 0],
    ['LB-03', '农村社会养老保险参保办理', '年满16周岁、未参加职工养老保险的农村居民。', 20000],
    ['LB-04', '自由职业者社会养老保险参保办理', '以灵活就业方式从业的人员。', 0],
    ['LB-05', '新成立企业养老保险参保办理', '新成立并依法登记的企业。', 0],
    ['LB-06', '新型农村合作医疗参保办理', '本县农村户籍居民。', 38000],
  ].map(([code, name, conditions, fee]) =>
    item({
      code: code as string, name: name as string, department: 'labour', caseType: 'on_the_spot',
      materials: code === 'LB-05' ? [m('营业执照', 'copy'), m('法定代表人身份证', 'copy'), m('参保人员花名册', 'original')] : [ID_CARD, HOUSEHOLD],
      legalBasis: '《中华人民共和国社会保险法》', conditions: conditions as string,
      procedure: ['申请人提交材料', '代办员核对并报送', '乡镇劳动保障窗口登记'], statutoryLimit: 5, promisedLimit: 3,
      feeFen: fee as number, feeBasis: fee ? '个人缴费标准按当年县医保、社保部门公布的档次（演示金额）' : '按社保经办机构核定的缴费基数缴纳',
    }),
  ),
  item({
    code: 'LB-07', name: '《再就业优惠证》申报办理', department: 'labour',
    materials: [APPLICATION, ID_CARD, HOUSEHOLD, m('失业证', 'copy'), PHOTO],
    legalBasis: '《中华人民共和国就业促进法》', conditions: '符合条件的失业人员。',
    procedure: ['本人申请', '代办员报送', '乡镇劳动保障窗口初审', '县就业局审核发证'], statutoryLimit: 15, promisedLimit: 10,
  }),
  item({
    code: 'LB-08', name: '《四川省城镇失业人员失业证》申报办理', department: 'labour',
    materials: [APPLICATION, ID_CARD, HOUSEHOLD, m('解除或终止劳动合同证明', 'original'), PHOTO],
    legalBasis: '《失业保险条例》', conditions: '在法定劳动年龄内、有劳动能力、有就业要求而处于无业状态的城镇人员。',
    procedure: ['本人申请', '代办员报送', '乡镇劳动保障窗口初审', '县就业局审核发证'], statutoryLimit: 15, promisedLimit: 10,
  }),
  // 农业
  item({
    code: 'NY-01', name: '农作物病虫害辨别和防治技术提供', department: 'agriculture', caseType: 'on_the_spot',
    materials: [m('病虫害样本或照片', 'original', false, '有条件的提供')],
    legalBasis: '《农作物病虫害防治条例》', conditions: '本村种植户。',
    procedure: ['农户咨询', '代办员联系农技人员', '当场或上门答复'], statutoryLimit: 3, promisedLimit: 2,
  }),
  item({
    code: 'NY-02', name: '良种补贴政策落实', department: 'agriculture',
    materials: [ID_CARD, m('种植面积登记表', 'original', true, '村组签章'), BANK],
    legalBasis: '中央财政农作物良种补贴政策', conditions: '种植补贴品种的农户。',
    procedure: ['农户登记', '村内公示', '乡镇农业窗口汇总审核', '补贴资金发放'], statutoryLimit: 20, promisedLimit: 15,
    postingRounds: 1, postingDays: 5, postingFields: ['household_head', 'village_group', 'amount'],
  }),
  item({
    code: 'NY-03', name: '农业灾害补助资金发放', department: 'agriculture',
    materials: [ID_CARD, m('受灾面积核实表', 'original', true, '村组签章'), BANK],
    legalBasis: '中央财政农业生产救灾资金管理办法', conditions: '农业生产遭受自然灾害损失的农户。',
    procedure: ['农户申报', '村组核实', '乡镇审核', '资金发放'], statutoryLimit: 20, promisedLimit: 15,
  }),
  item({
    code: 'NY-04', name: '农业重特大灾害申报办理', department: 'agriculture',
    materials: [m('灾情报告', 'original'), m('受灾现场照片', 'original')],
    legalBasis: '《中华人民共和国农业法》', conditions: '发生重特大农业灾害的村组。',
    procedure: ['村组报告', '代办员即时报送', '乡镇核查上报县农业局'], statutoryLimit: 3, promisedLimit: 1,
  }),
  item({
    code: 'NY-05', name: '农村土地承包小调整申报办理', department: 'agriculture',
    materials: [APPLICATION, HOUSEHOLD, m('村民会议或村民代表会议决议', 'original'), m('土地承包合同', 'copy')],
    legalBasis: '《中华人民共和国农村土地承包法》', conditions: '符合法律规定个别调整情形的承包户。',
    procedure: ['承包户申请', '村民会议三分之二以上同意', '乡镇审核', '县农业农村局批准'], statutoryLimit: 30, promisedLimit: 20,
  }),
  item({
    code: 'NY-06', name: '《农村土地承包经营权证》颁发、变更申报办理', department: 'agriculture',
    materials: [APPLICATION, ID_CARD, HOUSEHOLD, m('土地承包合同', 'original_and_copy'), m('原承包经营权证', 'original', false, '变更时提供')],
    legalBasis: '《中华人民共和国农村土地承包法》', conditions: '依法取得土地承包经营权的农户。',
    procedure: ['农户申请', '代办员报送', '乡镇审核', '县农业农村局登记发证'], statutoryLimit: 20, promisedLimit: 15, silenceConsent: true,
  }),
  // 国土
  item({
    code: 'GT-01', name: '地质灾害申报', department: 'land', caseType: 'referred',
    materials: [m('险情报告', 'original'), m('现场照片', 'original', false)],
    legalBasis: '《地质灾害防治条例》', conditions: '发现地质灾害险情或灾情的村民、村组。',
    procedure: ['村民或村组报告', '代办员即时报送', '乡镇国土所核查', '上报县自然资源局'], statutoryLimit: 3, promisedLimit: 1,
  }),
  item({
    code: 'GT-02', name: '《土地使用证》办理', department: 'land', caseType: 'joint',
    materials: [APPLICATION, ID_CARD, HOUSEHOLD, m('宅基地批准文件', 'original_and_copy'), m('四邻界址确认书', 'original'), m('宗地图', 'original')],
    legalBasis: '《中华人民共和国土地管理法》；《不动产登记暂行条例》', conditions: '依法取得土地使用权的单位和个人。',
    procedure: ['申请', '代办员报送', '乡镇国土所初审', '县不动产登记中心审核登簿发证'], statutoryLimit: 30, promisedLimit: 20,
    feeFen: 8000, feeBasis: '不动产登记费按国家发展改革委、财政部规定标准收取（演示金额）',
  }),
  // 林业
  item({
    code: 'LY-01', name: '《自用材采伐许可证》办理', department: 'forestry',
    materials: [APPLICATION, ID_CARD, m('林权证', 'original_and_copy'), m('采伐地点及树种、数量说明', 'original')],
    legalBasis: '《中华人民共和国森林法》', conditions: '农村居民采伐自留山和个人承包集体林木用于自用的。',
    procedure: ['本人申请', '代办员报送', '乡镇林业站现场核实', '核发许可证'], statutoryLimit: 20, promisedLimit: 10,
  }),
  item({
    code: 'LY-02', name: '义务植树代劳金收取', department: 'forestry', caseType: 'on_the_spot', serviceForms: ['proxy'],
    materials: [ID_CARD],
    legalBasis: '《关于开展全民义务植树运动的决议》及省实施办法', conditions: '未能完成义务植树任务的适龄公民。',
    procedure: ['代办员收取', '开具票据', '上缴乡镇林业站'], statutoryLimit: 1, promisedLimit: 1,
    feeFen: 1000, feeBasis: '按省义务植树条例规定的代劳金标准（演示金额）',
  }),
  // 广电
  item({
    code: 'GD-01', name: '有线电视收视费收缴', department: 'broadcasting', caseType: 'on_the_spot', serviceForms: ['proxy'],
    materials: [m('有线电视用户证或缴费卡', 'original')],
    legalBasis: '《广播电视管理条例》；物价部门核定的收费标准', conditions: '本村有线电视用户。',
    procedure: ['代办员收费', '开具票据', '上缴乡镇广电站'], statutoryLimit: 1, promisedLimit: 1,
    feeFen: 28800, feeBasis: '按物价部门核定的年度收视费标准（演示金额）',
  }),
  item({
    code: 'GD-02', name: '有线电视报停和恢复办理', department: 'broadcasting',
    materials: [m('有线电视用户证或缴费卡', 'original'), ID_CARD],
    legalBasis: '《广播电视管理条例》', conditions: '本村有线电视用户。',
    procedure: ['用户申请', '代办员报送', '乡镇广电站办理'], statutoryLimit: 5, promisedLimit: 3,
  }),
  // An example of a matter that cannot be proxied: refused at intake with the reason.
  item({
    code: 'MZ-99', name: '婚姻登记', department: 'civil_affairs', caseType: 'referred', proxiable: false, serviceForms: [],
    notProxiableReason: '婚姻登记须男女双方本人亲自到县民政局婚姻登记处办理，不能代办；可陪同前往或提供咨询。',
    materials: [m('双方居民身份证', 'original'), m('双方户口簿', 'original'), m('近期双人合影照片', 'original', true, '2寸')],
    legalBasis: '《婚姻登记条例》', conditions: '符合法定结婚条件的男女双方。',
    procedure: ['双方本人到县婚姻登记处申请', '当场审查登记'], statutoryLimit: 1, promisedLimit: 1,
  }),
]

export function demoCatalogue() {
  return { format: 'bianmin-matter-catalogue/1' as const, matters: MATTERS }
}
