import type { AlertKind } from '../../src/schemas/incident.js';

/** UI strings. Simplified Chinese is the default; English mirrors every key (checked by the type). */
const zh = {
  app: { title: 'GridPulse 电力看经济', live: '实时', offline: '连接中断，正在重连…', signOut: '退出', lang: 'English', role: { viewer: '只读', analyst: '分析员', admin: '管理员' } },
  nav: { inbox: '预警', economy: '经济运行', status: '系统状态' },
  signin: { title: '登录', token: 'API 令牌', tokenHint: '留空以只读身份查看', submit: '进入', wrong: '令牌无效' },
  kind: {
    meter_offline: '电表离线', gateway_offline: '网关离线', grid_outage: '电网停电', production_halt: '停产',
    production_cut: '减产', chain_disruption: '产业链中断', county_slowdown: '区县放缓', slow_decline: '持续下滑',
  } satisfies Record<AlertKind, string>,
  state: { open: '未处理', acknowledged: '已确认', resolved: '已解决', withdrawn: '已撤回', suppressed: '已屏蔽' },
  scope: { meter: '电表', gateway: '网关', enterprise: '企业', chain: '产业链', county: '区县' },
  inbox: {
    title: '预警', empty: '暂无符合条件的预警', count: '共 {{count}} 条', members: '涉及企业 {{count}} 家',
    filter: { state: '状态', kind: '类型', county: '区县', chain: '产业链', enterprise: '企业', severity: '最小降幅', since: '起始时间', all: '全部', clear: '清除' },
    col: { kind: '类型', entity: '对象', drop: '降幅', since: '开始', state: '状态', updated: '更新' },
  },
  detail: {
    title: '预警详情', back: '返回预警列表', chart: '实际与预期用电', actual: '实际用电', expected: '预期用电（研判）', expectedMedian: '参考值（前三周同时段中位数）', missing: '缺失电量',
    evidence: '依据', contributors: '主要贡献企业', share: '占比', missingKwh: '缺失电量', history: '状态记录',
    ack: '确认', resolve: '处理完毕', suppress: '设置屏蔽时段', comment: '备注', who: '处理人', acked: '{{who}} 于 {{at}} 确认',
    notOffered: '该操作需要告警管理接口（第 10 号需求），当前版本尚未提供', noData: '暂无数据', enterprise: '企业页面', chain: '产业链',
    words: '自 {{since}} 起，{{entity}} 用电比预期低 {{drop}}%：实际 {{actual}} kWh，预期 {{baseline}} kWh，依据 {{intervals}} 个时段的数据。',
    opened: '预警产生', updated: '预警更新', escalated: '预警升级', reopened: '再次出现', resolvedEv: '已解决', withdrawnEv: '已撤回', parent: '所属产业链中断',
    hours: '屏蔽时长', forHours: '{{count}} 小时', needComment: '请先填写备注（原因）', suppressed: '已设置屏蔽 {{count}} 小时',
  },
  economy: {
    title: '电力看经济', byChain: '产业链生产指数', byCounty: '区县生产指数', heat: '产业链 × 日 指数热力表', pulling: '拖累产业链的企业',
    slowdowns: '区县放缓', index: '指数', weekVsLast: '本周 / 上周', lastYear: '去年同期', noLastYear: '无数据', none: '无', hint: '100 = 预期水平', days: '近 {{count}} 天',
  },
  enterprise: {
    title: '企业', meters: '电表', gateway: '网关', ct: '倍率', load: '负荷与基线（近 7 天）', completeness: '数据完整率（最近一天）',
    alerts: '预警记录', shutdowns: '计划停产', none: '无', readings: '读数',
  },
  status: {
    title: '系统状态', ready: '运行正常', notReady: '存在问题', gateways: '已连接网关', rate: '读数/秒', accepted: '已接收读数', rejects: '拒收原因',
    spool: '缓冲区积压', influx: 'InfluxDB', up: '正常', down: '不可用', channels: '推送渠道', channel: '渠道', state: '状态', reasons: '问题',
    registry: '登记：{{enterprises}} 家企业，{{gateways}} 个网关，{{meters}} 块电表', noRejects: '无拒收',
    mqtt: 'MQTT 主题', sse: 'SSE 推送', listening: '监听中', alertsOpened: '已产生预警',
    failing: '自 {{since}} 起发送失败：{{error}}', delivered: '已送达 {{delivered}}，排队 {{queued}}',
  },
  common: { loading: '加载中…', error: '出错：{{message}}', kwh: 'kWh' },
};

export type Messages = typeof zh;
type Shape<T> = { [K in keyof T]: T[K] extends string ? string : Shape<T[K]> };

const en: Shape<Messages> = {
  app: { title: 'GridPulse power-based economy watch', live: 'live', offline: 'disconnected, reconnecting…', signOut: 'Sign out', lang: '中文', role: { viewer: 'viewer', analyst: 'analyst', admin: 'admin' } },
  nav: { inbox: 'Alerts', economy: 'Economy', status: 'Pipeline' },
  signin: { title: 'Sign in', token: 'API token', tokenHint: 'leave empty to look around read-only', submit: 'Enter', wrong: 'unknown token' },
  kind: {
    meter_offline: 'Meter offline', gateway_offline: 'Gateway offline', grid_outage: 'Grid outage', production_halt: 'Production halt',
    production_cut: 'Production cut', chain_disruption: 'Chain disruption', county_slowdown: 'County slowdown', slow_decline: 'Slow decline',
  },
  state: { open: 'Open', acknowledged: 'Acknowledged', resolved: 'Resolved', withdrawn: 'Withdrawn', suppressed: 'Suppressed' },
  scope: { meter: 'Meter', gateway: 'Gateway', enterprise: 'Enterprise', chain: 'Chain', county: 'County' },
  inbox: {
    title: 'Alerts', empty: 'No alerts match', count: '{{count}} alerts', members: '{{count}} member enterprises',
    filter: { state: 'State', kind: 'Kind', county: 'County', chain: 'Chain', enterprise: 'Enterprise', severity: 'Min. drop', since: 'Since', all: 'All', clear: 'Clear' },
    col: { kind: 'Kind', entity: 'Entity', drop: 'Drop', since: 'Since', state: 'State', updated: 'Updated' },
  },
  detail: {
    title: 'Alert', back: 'Back to alerts', chart: 'Actual vs expected consumption', actual: 'Actual', expected: 'Expected (as judged)', expectedMedian: 'Reference (median of the same slot, 3 weeks before)', missing: 'Missing energy',
    evidence: 'Evidence', contributors: 'Contributors', share: 'Share', missingKwh: 'Missing energy', history: 'State history',
    ack: 'Acknowledge', resolve: 'Resolve', suppress: 'Create suppression window', comment: 'Comment', who: 'Handled by', acked: 'acknowledged by {{who}} at {{at}}',
    notOffered: 'needs the alert lifecycle API (issue 10), not offered by this version', noData: 'no data', enterprise: 'Enterprise page', chain: 'Chain',
    words: 'Since {{since}}, {{entity}} has used {{drop}}% less than expected: {{actual}} kWh against {{baseline}} kWh, over {{intervals}} intervals of data.',
    opened: 'Opened', updated: 'Updated', escalated: 'Escalated', reopened: 'Reopened', resolvedEv: 'Resolved', withdrawnEv: 'Withdrawn', parent: 'Part of chain disruption',
    hours: 'Window length', forHours: '{{count}} h', needComment: 'write a comment (the reason) first', suppressed: 'suppression window set for {{count}} h',
  },
  economy: {
    title: 'Power-based economy', byChain: 'Production index by chain', byCounty: 'Production index by county', heat: 'Chain × day index', pulling: 'Enterprises pulling chains down',
    slowdowns: 'County slowdowns', index: 'Index', weekVsLast: 'This week / last week', lastYear: 'Same week last year', noLastYear: 'no data', none: 'none', hint: '100 = expected', days: 'last {{count}} days',
  },
  enterprise: {
    title: 'Enterprise', meters: 'Meters', gateway: 'Gateway', ct: 'CT ratio', load: 'Load vs baseline (last 7 days)', completeness: 'Data completeness (last day)',
    alerts: 'Alert history', shutdowns: 'Planned shutdowns', none: 'none', readings: 'readings',
  },
  status: {
    title: 'Pipeline status', ready: 'Ready', notReady: 'Not ready', gateways: 'Gateways connected', rate: 'Readings/s', accepted: 'Readings accepted', rejects: 'Rejects by reason',
    spool: 'Spool depth', influx: 'InfluxDB', up: 'up', down: 'down', channels: 'Delivery channels', channel: 'Channel', state: 'State', reasons: 'Reasons',
    registry: 'Registry: {{enterprises}} enterprises, {{gateways}} gateways, {{meters}} meters', noRejects: 'no rejects',
    mqtt: 'MQTT topics', sse: 'SSE stream', listening: 'listening', alertsOpened: 'Alerts opened',
    failing: 'failing since {{since}}: {{error}}', delivered: '{{delivered}} delivered, {{queued}} queued',
  },
  common: { loading: 'Loading…', error: 'Error: {{message}}', kwh: 'kWh' },
};

export const resources = { 'zh-CN': { translation: zh }, en: { translation: en } } as const;

/** Every alert kind (the type above makes the list complete), without importing the zod schemas into the page. */
export const ALERT_KINDS = Object.keys(zh.kind) as AlertKind[];
