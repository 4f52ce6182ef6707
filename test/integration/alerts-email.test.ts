import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { createAlerts, type AlertsStage, type Clock } from '../../alerts/index.js';
import { freePort } from '../../src/storage/managed-influxd.js';
import { tempDir, waitFor } from '../support/pipeline.js';
import { alertUpdate } from '../support/alerts.js';
import { startSmtp, type Mail } from '../support/smtp.js';


/** E-mail through a real local SMTP server (smtp-server from npm), with login; immediate and daily digest. */
describe('alert e-mail (nodemailer → SMTP)', () => {
  let mails: Mail[] = [];
  let smtpServer: Awaited<ReturnType<typeof startSmtp>>;
  let port: number;
  let stage: AlertsStage;
  // The digest waits for 08:00 China time: this clock can be moved a day ahead.
  let offset = 0;
  const clock: Clock = { now: () => Date.now() + offset, sleep: (ms, wake) => new Promise<void>((r) => { const t = setTimeout(r, Math.min(ms, 50)); void wake.then(() => { clearTimeout(t); r(); }); }) };

  beforeAll(async () => {
    port = await freePort();
    smtpServer = await startSmtp(port, 'alerts', 'smtp-pass-do-not-leak');
    mails = smtpServer.mails;
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
    await smtpServer?.close();
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
