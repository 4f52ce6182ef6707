import { readFileSync } from 'node:fs';
import { z } from 'zod';
import type { Locale } from '../templates.js';
import type { Channel } from './types.js';
import { webhookChannel } from './webhook.js';
import { dingtalkChannel, wecomChannel } from './robots.js';
import { emailChannel } from './email.js';

const name = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - only');
const url = z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' });
const filter = z.object({
  kinds: z.array(z.string()).optional(),
  minSeverity: z.enum(['minor', 'major', 'critical']).optional(),
  counties: z.array(z.string()).optional(),
  chains: z.array(z.string()).optional(),
  enterprises: z.array(z.string()).optional(),
}).strict().optional();
const locale = z.enum(['zh-CN', 'en']).optional();

export const channelsFileSchema = z.object({
  webhooks: z.array(z.object({ name, url, secret: z.string().regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'expected whsec_ + base64').optional(), filter }).strict()).default([]),
  wecom: z.array(z.object({ name, url, filter, locale }).strict()).default([]),
  dingtalk: z.array(z.object({ name, url, secret: z.string().min(1).optional(), filter, locale }).strict()).default([]),
  email: z.array(z.object({
    name,
    smtp: z.url({ protocol: /^smtps?$/, error: 'expected smtp://user:password@host:port or smtps://…' }),
    from: z.string().min(3).max(200),
    to: z.array(z.email()).min(1),
    mode: z.enum(['immediate', 'daily']).default('immediate'),
    digestHour: z.number().int().min(0).max(23).default(8),
    filter, locale,
  }).strict()).default([]),
}).strict();
export type ChannelsFile = z.output<typeof channelsFileSchema>;

export class ChannelConfigError extends Error {}

/** Reads and checks the channels file; an error names the key (alerts.channelsFile) and the field, never a secret. */
export function loadChannelsFile(file: string): ChannelsFile {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new ChannelConfigError(`invalid config alerts.channelsFile (GRIDPULSE_ALERT_CHANNELS)=${JSON.stringify(file)}: ${(err as Error).message}`);
  }
  const r = channelsFileSchema.safeParse(raw);
  if (!r.success) {
    // Zod may echo the value it refused; for URLs that could be a secret, so only the path and the rule.
    throw new ChannelConfigError(r.error.issues.map((i) => `invalid config alerts.channelsFile (GRIDPULSE_ALERT_CHANNELS) ${file}: ${i.path.join('.')}: ${i.message}`).join('\n'));
  }
  return r.data;
}

export function buildChannels(f: ChannelsFile, defaults: { locale: Locale; publicUrl?: string }): Channel[] {
  const channels: Channel[] = [
    ...f.webhooks.map((w) => webhookChannel(w)),
    ...f.wecom.map((w) => wecomChannel(w, defaults)),
    ...f.dingtalk.map((d) => dingtalkChannel(d, defaults)),
    ...f.email.map((m) => emailChannel(m, defaults)),
  ];
  const seen = new Set<string>();
  for (const c of channels) {
    if (seen.has(c.name)) throw new ChannelConfigError(`invalid config alerts.channelsFile (GRIDPULSE_ALERT_CHANNELS): channel name ${c.name} is used twice`);
    seen.add(c.name);
  }
  return channels;
}
