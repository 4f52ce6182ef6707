import nodemailer, { type Transporter } from 'nodemailer';
import { render, type Locale } from '../templates.js';
import type { AlertEvent } from '../types.js';
import { matches, type Channel, type ChannelFilter } from './types.js';

export interface EmailConfig {
  name: string;
  /** smtp(s)://user:password@host:port */
  smtp: string;
  from: string;
  to: string[];
  /** `immediate`: one message per change; `daily`: one digest a day at digestHour (Asia/Shanghai). */
  mode?: 'immediate' | 'daily';
  digestHour?: number;
  filter?: ChannelFilter;
  locale?: Locale;
}

const SHANGHAI_MS = 8 * 3_600_000;
const DAY = 86_400_000;

/** The latest digest time at or before `now`: digestHour o'clock in China Standard Time (no DST). */
export function lastDigestAt(now: number, hour: number): number {
  const local = now + SHANGHAI_MS;
  let t = Math.floor(local / DAY) * DAY + hour * 3_600_000;
  if (t > local) t -= DAY;
  return t - SHANGHAI_MS;
}

/** Message-ID from the idempotency key: a redelivered message can be recognised as the same one. */
const messageId = (key: string) => `<${key.replace(/[^\w.-]/g, '.')}@gridpulse>`;

/** E-mail through SMTP (nodemailer), one message per change or a daily digest. */
export function emailChannel(c: EmailConfig, defaults: { locale: Locale; publicUrl?: string }): Channel {
  const transport: Transporter = nodemailer.createTransport(c.smtp);
  const locale = c.locale ?? defaults.locale;
  const hour = c.digestHour ?? 8;
  const ch: Channel = {
    name: c.name,
    type: 'email',
    secrets: [c.smtp, ...(() => {
      try {
        const u = new URL(c.smtp);
        return u.password ? [decodeURIComponent(u.password), u.password] : [];
      } catch {
        return [];
      }
    })()],
    accepts: (e) => matches(c.filter, e),
    async deliver(e, key) {
      const r = render(e, locale, defaults.publicUrl);
      await transport.sendMail({ from: c.from, to: c.to, subject: r.title, text: r.text, messageId: messageId(key) });
    },
    close: async () => transport.close(),
  };
  if (c.mode === 'daily') {
    ch.digest = {
      dueAt: (now) => lastDigestAt(now, hour),
      nextAt: (now) => lastDigestAt(now, hour) + DAY,
      async deliverMany(events: AlertEvent[], key: string) {
        const parts = events.map((e) => render(e, locale, defaults.publicUrl));
        const subject = locale === 'zh-CN' ? `GridPulse 告警日报：${events.length} 条变化` : `GridPulse daily digest: ${events.length} alert changes`;
        await transport.sendMail({ from: c.from, to: c.to, subject, text: parts.map((p) => p.text).join('\n\n----\n\n'), messageId: messageId(key) });
      },
    };
  }
  return ch;
}
