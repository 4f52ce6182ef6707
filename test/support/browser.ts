import type { Page } from 'playwright-core';

/**
 * Debian's Chromium (installed by .ci/run), never a downloaded browser. Playwright's launch() gives
 * each run a fresh temporary --user-data-dir of its own.
 */
export const CHROMIUM_PATH = process.env.GRIDPULSE_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];

/** Every console error, uncaught exception, failed request and HTTP error of a page, as text. */
export function watch(page: Page): { problems: string[]; stop(): void } {
  const problems: string[] = [];
  const onConsole = (m: { type(): string; text(): string }) => void (m.type() === 'error' && problems.push(`console: ${m.text()}`));
  const onError = (e: Error) => void problems.push(`pageerror: ${e.message}`);
  const onFailed = (r: { url(): string; failure(): { errorText: string } | null }) => void problems.push(`requestfailed: ${r.url()} ${r.failure()?.errorText}`);
  const onResponse = (r: { url(): string; status(): number }) => void (r.status() >= 400 && problems.push(`HTTP ${r.status()}: ${r.url()}`));
  page.on('console', onConsole);
  page.on('pageerror', onError);
  page.on('requestfailed', onFailed);
  page.on('response', onResponse);
  return {
    problems,
    // Closing a page aborts its event stream: not a failure of the console.
    stop() {
      page.off('console', onConsole);
      page.off('pageerror', onError);
      page.off('requestfailed', onFailed);
      page.off('response', onResponse);
    },
  };
}

export async function signIn(page: Page, url: string, token: string): Promise<void> {
  await page.goto(url);
  await page.fill('input[name=token]', token);
  await page.click('button[type=submit]');
  await page.waitForSelector('header.top [data-live=true]');
}
