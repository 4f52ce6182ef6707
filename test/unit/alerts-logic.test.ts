import { describe, expect, it } from 'vitest';
import { createHmac } from 'node:crypto';
import { backoff } from '../../alerts/outbox.js';
import { matches } from '../../alerts/channels/types.js';
import { lastDigestAt } from '../../alerts/channels/email.js';
import { dingtalkSign, render, severityOf, type AlertEvent } from '../../alerts/index.js';
import { alertUpdate } from '../support/alerts.js';

const event = (o: Partial<AlertEvent['alert']> = {}, change: AlertEvent['change'] = 'opened'): AlertEvent => {
  const a = alertUpdate('opened', { id: 'u-1', entity: 'ent0007', kind: 'production_cut', dropPct: 42.5 }).alert;
  return {
    seq: 7, alertId: 'u-1', change, state: 'open', at: 0, actor: 'analyzer', notify: true,
    alert: { id: 'u-1', state: 'open', severity: 'major', kind: a.kind, scope: a.scope, entity: a.entity, location: { enterprise: 'ent0007', county: 'nanhu', chain: 'fasteners' }, openedAt: 0, updatedAt: 0, flaps: 0, alert: a, ...o },
  };
};

describe('alerts: pure logic', () => {
  it('backs off exponentially with jitter, capped', () => {
    const o = { baseDelayMs: 1000, maxDelayMs: 60_000 };
    expect(backoff(0, o, () => 1)).toBe(1000);
    expect(backoff(3, o, () => 1)).toBe(8000);
    expect(backoff(3, o, () => 0)).toBe(4000);
    expect(backoff(40, o, () => 1)).toBe(60_000);
  });

  it('filters by kind, least severity and area', () => {
    const e = event();
    expect(matches(undefined, e)).toBe(true);
    expect(matches({ kinds: ['production_halt'] }, e)).toBe(false);
    expect(matches({ minSeverity: 'critical' }, e)).toBe(false);
    expect(matches({ minSeverity: 'major', counties: ['nanhu'] }, e)).toBe(true);
    expect(matches({ chains: ['photovoltaics'] }, e)).toBe(false);
    expect(matches({ counties: ['haiyan'] }, event({ scope: 'county', entity: 'haiyan', location: { county: 'haiyan' } }))).toBe(true);
  });

  it('rates severity from kind and depth', () => {
    const a = alertUpdate('opened', { id: 'x' }).alert;
    expect(severityOf({ ...a, kind: 'production_halt' })).toBe('critical');
    expect(severityOf({ ...a, kind: 'production_cut', dropPct: 35 })).toBe('major');
    expect(severityOf({ ...a, kind: 'production_cut', dropPct: 75 })).toBe('critical');
    expect(severityOf({ ...a, kind: 'meter_offline', dropPct: 0 })).toBe('minor');
  });

  it('finds the latest 08:00 in China time', () => {
    expect(new Date(lastDigestAt(Date.parse('2026-12-01T01:00:00Z'), 8)).toISOString()).toBe('2026-12-01T00:00:00.000Z');
    expect(new Date(lastDigestAt(Date.parse('2026-11-30T23:59:00Z'), 8)).toISOString()).toBe('2026-11-30T00:00:00.000Z');
  });

  it('signs DingTalk URLs as DingTalk documents it', () => {
    const want = encodeURIComponent(createHmac('sha256', 'SECabc').update('1700000000000\nSECabc').digest('base64'));
    expect(dingtalkSign('SECabc', 1_700_000_000_000)).toBe(want);
  });

  it('renders Markdown in Chinese and English, escaping names', () => {
    const zh = render(event({ entity: 'ent_*7*' }), 'zh-CN', 'https://x.cn/');
    expect(zh.title).toBe('[新告警] 减产 · ent_*7*');
    expect(zh.markdown).toContain('42.5%');
    expect(zh.markdown).toContain('ent\\_\\*7\\*');
    expect(zh.markdown).toContain('(https://x.cn/api/v1/alerts/u-1)');
    const en = render(event({}, 'acknowledged'), 'en');
    expect(en.title).toBe('[Acknowledged] Production cut · ent0007');
    expect(en.text).not.toContain('**');
  });
});

describe('alerts: channels file', () => {
  it('names the key and the field of a bad channels file, without echoing secrets', async () => {
    const { writeFileSync, mkdtempSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { loadChannelsFile } = await import('../../alerts/channels/config.js');
    const f = join(mkdtempSync(join(tmpdir(), 'gp-ch-')), 'channels.json');
    writeFileSync(f, JSON.stringify({ webhooks: [{ name: 'ops', url: 'ftp://x/secret-path-123', secret: 'not-a-secret-format-abc' }] }));
    let msg = '';
    try {
      loadChannelsFile(f);
    } catch (err) {
      msg = (err as Error).message;
    }
    expect(msg).toContain('alerts.channelsFile');
    expect(msg).toContain('webhooks.0.url');
    expect(msg).toContain('webhooks.0.secret');
    expect(msg).not.toContain('secret-path-123');
    expect(msg).not.toContain('not-a-secret-format-abc');
  });
});
