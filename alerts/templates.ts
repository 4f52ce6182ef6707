import type { AlertEvent } from './types.js';

export type Locale = 'zh-CN' | 'en';

const KIND: Record<Locale, Record<string, string>> = {
  'zh-CN': {
    meter_offline: '电表离线', gateway_offline: '网关离线', grid_outage: '电网停电', production_halt: '停产', production_cut: '减产',
    chain_disruption: '产业链中断', county_slowdown: '县域用电下滑', slow_decline: '用电缓慢下降',
  },
  en: {
    meter_offline: 'Meter offline', gateway_offline: 'Gateway offline', grid_outage: 'Grid outage', production_halt: 'Production halt', production_cut: 'Production cut',
    chain_disruption: 'Chain disruption', county_slowdown: 'County slowdown', slow_decline: 'Slow decline',
  },
};

const CHANGE: Record<Locale, Record<string, string>> = {
  'zh-CN': { opened: '新告警', escalated: '告警升级', reopened: '告警再次出现', acknowledged: '已确认', resolved: '已解除', withdrawn: '已撤回', updated: '更新', suppressed: '已屏蔽' },
  en: { opened: 'New alert', escalated: 'Escalated', reopened: 'Reopened', acknowledged: 'Acknowledged', resolved: 'Resolved', withdrawn: 'Withdrawn', updated: 'Updated', suppressed: 'Suppressed' },
};

const SEVERITY: Record<Locale, Record<string, string>> = {
  'zh-CN': { minor: '一般', major: '重要', critical: '严重' },
  en: { minor: 'minor', major: 'major', critical: 'critical' },
};

const LABELS = {
  'zh-CN': { scope: '对象', drop: '降幅', since: '开始时间', baseline: '基线 / 实际', contributors: '主要贡献企业', by: '处理人', comment: '备注', link: '查看告警', severity: '级别' },
  en: { scope: 'Scope', drop: 'Drop', since: 'Since', baseline: 'Baseline / actual', contributors: 'Top contributors', by: 'By', comment: 'Comment', link: 'Open the alert', severity: 'Severity' },
} as const;

function time(ms: number, locale: Locale): string {
  return new Date(ms).toLocaleString(locale === 'zh-CN' ? 'zh-CN' : 'en-GB', { timeZone: 'Asia/Shanghai', hour12: false });
}

/** Escapes what Markdown robots would read as formatting inside entity names. */
const md = (s: string) => s.replace(/[\\`*_[\]<>#|]/g, (c) => `\\${c}`);

export interface Rendered {
  title: string;
  markdown: string;
  text: string;
}

/** The message a person reads (robots, e-mail): what dropped, how much, since when, who contributed, a link. */
export function render(e: AlertEvent, locale: Locale, publicUrl?: string): Rendered {
  const a = e.alert;
  const L = LABELS[locale];
  const kind = KIND[locale][a.kind] ?? a.kind;
  const title = `[${CHANGE[locale][e.change] ?? e.change}] ${kind} · ${a.entity}`;
  const lines = [
    `### ${md(title)}`,
    `- **${L.severity}**: ${SEVERITY[locale][a.severity]}`,
    `- **${L.scope}**: ${a.scope} ${md(a.entity)}${a.location.county && a.scope !== 'county' ? ` (${md(a.location.county)})` : ''}`,
    `- **${L.drop}**: ${a.alert.dropPct}%`,
    `- **${L.since}**: ${time(a.alert.since, locale)}`,
    `- **${L.baseline}**: ${Math.round(a.alert.baselineKwh)} / ${Math.round(a.alert.actualKwh)} kWh`,
  ];
  if (a.alert.contributors.length > 0) {
    lines.push(`- **${L.contributors}**: ${a.alert.contributors.slice(0, 5).map((c) => `${md(c.enterprise)} ${Math.round(c.share * 100)}%`).join(', ')}`);
  }
  if (e.actor !== 'analyzer') lines.push(`- **${L.by}**: ${md(e.actor)}`);
  if (e.comment) lines.push(`- **${L.comment}**: ${md(e.comment)}`);
  if (publicUrl) lines.push('', `[${L.link}](${publicUrl.replace(/\/$/, '')}/api/v1/alerts/${encodeURIComponent(a.id)})`);
  const markdown = lines.join('\n');
  const text = markdown.replace(/^### /, '').replace(/\*\*/g, '').replace(/\\(.)/g, '$1');
  return { title, markdown, text };
}
