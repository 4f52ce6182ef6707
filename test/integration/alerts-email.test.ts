import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { createAlerts, type AlertsStage, type Clock } from '../../alerts/index.js';
import { freePort } from '../../src/storage/managed-influxd.js';
import { tempDir, waitFor } from '../support/pipeline.js';
import { alertUpdate } from '../support/alerts.js';

interface Mail { from: string; to: string[]; raw: string }

/** E-mail through a real local SMTP server (smtp-server from npm), with login; immediate and daily digest. */
describe('alert e-mail (nodemailer → SMTP)', () => {
  const mails: Mail[] = [];
  let server: SMTPServer;
  let port: number;
  let stage: AlertsStage;
  // The digest waits for 08:00 China time: this clock can be moved a day ahead.
  let offset = 0;
  const clock: Clock = { now: () => Date.now() + offset, sleep: (ms, wake) => new Promise<void>((r) => { const t = setTimeout(r, Math.min(ms, 50)); void wake.then(() => { clearTimeout(t); r(); }); }) };

  beforeAll(async () => {
    port = await freePort();
    server = new SMTPServer({
      authOptional: false, disabledCommands: ['STARTTLS'], logger: false,
      onAuth: (auth, _s, cb) => (auth.username === 'alerts' && auth.password === 'smtp-pass-do-not-leak' ? cb(null, { user: 'alerts' }) : cb(new Error('bad login'))),
      onData: (stream, session, cb) => {
        let raw = '';
        stream.setEncoding('utf8');
        stream.on('data', (c: string) => (raw += c));
        stream.on('end', () => {
          mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw });
          cb();
        });
      },
    });
    await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
    const smtp = `smtp://alerts:smtp-pass-do-not-leak@127.0.0.1:${port}`;
    stage = createAlerts({
      file: join(tempDir('gridpulse-email-'), 'alerts.sqlite'), locale: 'zh-CN', flapWindowMs: 0, flapNotifyLimit: 1, retryBaseMs: 50, retryMaxMs: 200,
      channels: {
        webhooks: [], wecom: [], dingtalk: [],
        email: [
          { name: 'mail-now', smtp, from: 'gridpulse@example.cn', to: ['duty@example.cn'], mode: 'immediate', digestHour: 8 },
          { name: 'mail-daily', smtp, from: 'gridpulse@example.cn', to: ['boss@example.cn'], mode: 'daily', digestHour: 8, locale: 'en' },
        ],
      },
      sse: { maxBufferedBytes: 65_536, maxStallMs: 1000 },
    }, { locate: () => ({ enterprise: 'ent0000', county: 'nanhu' }), clock });
    stage.start();
  });
  afterAll(async () => {
    await stage?.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('sends one message per change at once, and the day\'s changes as one digest at 08:00', async () => {
    stage.lifecycle.apply(alertUpdate('opened', { id: 'm-1', entity: 'ent0000' }));
    stage.lifecycle.apply(alertUpdate('opened', { id: 'm-2', entity: 'ent0001', kind: 'grid_outage' }));
    await waitFor(async () => mails.filter((m) => m.to.includes('duty@example.cn')).length === 2, 10_000, 'two immediate e-mails');
    const now = mails.filter((m) => m.to.includes('duty@example.cn'));
    expect(now[0]!.raw).toMatch(/Subject: =\?UTF-8\?/); // a Chinese subject, encoded
    expect(now[0]!.raw).toMatch(/Message-ID: <mail-now\.\d+@gridpulse>/);
    expect(mails.some((m) => m.to.includes('boss@example.cn'))).toBe(false);

    offset = 86_400_000; // the next day, after 08:00
    stage.outbox.wake();
    await waitFor(async () => mails.some((m) => m.to.includes('boss@example.cn')), 10_000, 'the daily digest');
    const digest = mails.filter((m) => m.to.includes('boss@example.cn'));
    expect(digest.length).toBe(1);
    expect(digest[0]!.raw).toContain('GridPulse daily digest: 2 alert changes');
    expect(digest[0]!.raw).toContain('ent0001');
    expect(JSON.stringify(stage.channels())).not.toContain('smtp-pass-do-not-leak');
    expect(stage.channels().find((c) => c.name === 'mail-daily')).toMatchObject({ queued: 0, delivered: 2 });
  });
});
