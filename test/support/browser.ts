/**
 * Debian's Chromium (installed by .ci/run), never a downloaded browser. Playwright's launch() gives
 * each run a fresh temporary --user-data-dir of its own.
 */
export const CHROMIUM_PATH = process.env.GRIDPULSE_CHROMIUM ?? '/usr/bin/chromium';
export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
  '--disable-component-update', '--disable-sync',
];
