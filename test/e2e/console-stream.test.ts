import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { chromium, type Browser } from 'playwright-core';
import { makeCity, startTestPipeline, type TestPipeline } from '../support/pipeline.js';
import { alertUpdate } from '../support/alerts.js';
import { CHROMIUM_ARGS, CHROMIUM_PATH, signIn, watch } from '../support/browser.js';

const run = promisify(execFile);

/** curl's answer: status line and headers (-D -) and whatever body came within maxTime seconds. */
async function curl(args: string[], maxTime = 1): Promise<string> {
  try {
    return (await run('curl', ['-sN', '-D', '-', '--max-time', String(maxTime), ...args], { encoding: 'utf8' })).stdout;
  } catch (err) {
    // 28: the stream was still open when --max-time ended it; what came is in stdout.
    const e = err as { code?: number; stdout?: string };
    if (e.code === 28 && e.stdout !== undefined) return e.stdout;
    throw err;
  }
}
const status = (out: string) => Number(/^HTTP\/[\d.]+ (\d{3})/.exec(out)?.[1]);

/**
 * http.authReads=true: every read needs a token, and a browser's EventSource cannot send one. The
 * console trades its token for a one-use, 30-second stream ticket (POST) and opens the stream with
 * it in the URL; the stream route takes nothing else from a URL. Checked with curl, then in Chromium:
 * live updates, and a dropped stream comes back on a fresh ticket with what changed meanwhile.
 */
describe('console live stream with http.authReads', () => {
  let p: TestPipeline | undefined;
  let browser: Browser | undefined;
  let viewer = '', analyst = '';

  beforeAll(async () => {
    p = await startTestPipeline({ city: makeCity(2, 1), influx: 'none', overrides: { 'http.authReads': true } });
    const store = p.pipeline.alerts!.store;
    viewer = store.createToken('viewer-s', 'viewer', Date.now()).token;
    analyst = store.createToken('analyst-s', 'analyst', Date.now()).token;
    browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await p?.stop();
  });

  it('opens the stream only with a fresh ticket, once, never with the token in the URL', async () => {
    const stream = `${p!.httpUrl}/api/v1/alerts/stream`;
    expect(status(await curl([stream]))).toBe(401);
    expect(status(await curl(['-X', 'POST', `${p!.httpUrl}/api/v1/console/stream-ticket`]))).toBe(401);
    const issued = await curl(['-X', 'POST', '-H', `authorization: Bearer ${viewer}`, `${p!.httpUrl}/api/v1/console/stream-ticket`]);
    expect(status(issued)).toBe(200);
    const { ticket, expiresAt } = JSON.parse(issued.slice(issued.indexOf('\r\n\r\n') + 4)) as { ticket: string; expiresAt: number };
    expect(ticket).toMatch(/^[\w-]{43}$/);
    expect(ticket).not.toContain(viewer);
    expect(expiresAt - Date.now()).toBeLessThanOrEqual(30_000);
    const opened = await curl([`${stream}?ticket=${ticket}`]);
    expect(status(opened)).toBe(200);
    expect(opened).toMatch(/content-type: text\/event-stream/i);
    // Once only; the long-lived token is no ticket; nor is garbage.
    expect(status(await curl([`${stream}?ticket=${ticket}`]))).toBe(401);
    expect(status(await curl([`${stream}?ticket=${encodeURIComponent(viewer)}`]))).toBe(401);
    expect(status(await curl([`${stream}?ticket=${'x'.repeat(5000)}`]))).toBe(401);
    // The header still works for clients that can send it.
    expect(status(await curl(['-H', `authorization: Bearer ${viewer}`, stream]))).toBe(200);
  });

  it('keeps a signed-in viewer live in Chromium, and resumes on a new ticket after a drop', async () => {
    const ctx = await browser!.newContext({ viewport: { width: 1366, height: 768 }, locale: 'zh-CN' });
    try {
      const page = await ctx.newPage();
      const tickets: number[] = [];
      page.on('response', (r) => void (r.url().endsWith('/api/v1/console/stream-ticket') && tickets.push(r.status())));
      const w = watch(page);
      await signIn(page, p!.httpUrl, viewer);
      await page.waitForSelector('[data-testid=alert-list] .empty');
      await page.evaluate('window.marker = 42');
      p!.pipeline.alerts!.lifecycle.apply(alertUpdate('opened', { id: 'live-1', entity: 'ent0000' }));
      const row = page.locator('.alert-row[data-state=open]');
      await row.waitFor({ timeout: 10_000 });
      const id = (await row.getAttribute('data-alert-id'))!;

      // The server drops every connection; the alert is acknowledged while the page is away.
      w.stop();
      p!.pipeline.app.server.closeAllConnections();
      await page.waitForSelector('header.top [data-live=false]');
      const ack = await fetch(`${p!.httpUrl}/api/v1/alerts/${encodeURIComponent(id)}/ack`, {
        method: 'POST', headers: { authorization: `Bearer ${analyst}`, 'content-type': 'application/json' }, body: JSON.stringify({ by: '李值班', comment: '夜班复核' }),
      });
      expect(ack.status).toBe(200);
      const w2 = watch(page);
      await page.waitForSelector('header.top [data-live=true]', { timeout: 20_000 });
      await page.locator(`.alert-row[data-alert-id="${id}"][data-state=acknowledged]`).waitFor({ timeout: 10_000 });
      expect(await page.evaluate('window.marker')).toBe(42);
      expect(tickets.length).toBeGreaterThanOrEqual(2);
      expect(tickets.every((s) => s === 200)).toBe(true);
      w2.stop();
      expect([...w.problems, ...w2.problems]).toEqual([]);
    } finally {
      await ctx.close();
    }
  }, 60_000);
});
