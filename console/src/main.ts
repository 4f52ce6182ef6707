import './style.css';
import { ApiError, createClient, type Client, type Role } from './api.js';
import { h, clear } from './dom.js';
import { initI18n, lang, setLang, setTimeZone, t } from './i18n.js';
import { AlertStore } from './store.js';
import { renderSignIn } from './pages/signin.js';
import { renderInbox } from './pages/inbox.js';
import { renderDetail } from './pages/detail.js';
import { renderEconomy } from './pages/economy.js';
import { renderEnterprise } from './pages/enterprise.js';
import { renderStatus } from './pages/status.js';

/** What every page gets: the API client, the signed-in role, the shared alert store. */
export interface Ctx {
  client: Client;
  role: Role;
  canWrite: boolean;
  store: AlertStore;
}
/** A page draws into `el` and returns its clean-up (timers, subscriptions). */
export type Page = (el: HTMLElement, ctx: Ctx, param: string | undefined) => (() => void) | void;

const TOKEN_KEY = 'gridpulse.token';
const root = document.getElementById('app')!;
let session: Ctx | undefined;
let cleanup: (() => void) | undefined;
let stopStream: (() => void) | undefined;

const routes: Record<string, Page> = { inbox: renderInbox, alert: renderDetail, economy: renderEconomy, enterprise: renderEnterprise, status: renderStatus };

function route(): { page: string; param: string | undefined } {
  const [page = 'inbox', param] = location.hash.replace(/^#\/?/, '').split('/');
  return { page: page in routes ? page : 'inbox', param: param ? decodeURIComponent(param) : undefined };
}

function header(ctx: Ctx, current: string): HTMLElement {
  const link = (page: string, label: string) => h('a', { href: `#/${page}`, class: current === page ? 'active' : '', 'data-nav': page }, label);
  return h('header', { class: 'top' },
    h('span', { class: 'brand' }, t('app.title')),
    h('nav', {}, link('inbox', t('nav.inbox')), link('economy', t('nav.economy')), link('status', t('nav.status'))),
    h('span', { class: 'spacer' }),
    h('span', { class: ctx.store.live ? 'live on' : 'live off', 'data-live': String(ctx.store.live) }, ctx.store.live ? t('app.live') : t('app.offline')),
    h('span', { class: 'role', 'data-role': ctx.role }, t(`app.role.${ctx.role}`)),
    h('button', { type: 'button', class: 'lang', 'data-action': 'lang', onclick: () => void setLang(lang() === 'en' ? 'zh-CN' : 'en').then(render) }, t('app.lang')),
    h('button', { type: 'button', class: 'link', onclick: signOut }, t('app.signOut')),
  );
}

function render(): void {
  cleanup?.();
  cleanup = undefined;
  if (!session) return;
  const { page, param } = route();
  const main = h('main', { 'data-page': page });
  clear(root, header(session, page === 'alert' ? 'inbox' : page), main);
  cleanup = routes[page]!(main, session, param) ?? undefined;
}

async function start(token: string | undefined): Promise<string | undefined> {
  const client = createClient(token);
  try {
    const [who, cfg] = await Promise.all([client.whoami(), client.config()]);
    setTimeZone(cfg.timeZone);
    const store = new AlertStore(client);
    session = { client, role: who.role, canWrite: who.canWrite, store };
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.setItem(TOKEN_KEY, '');
    let headerLive = store.live;
    store.subscribe(() => {
      if (store.live !== headerLive) {
        headerLive = store.live;
        const old = root.querySelector('header.top');
        if (old && session) old.replaceWith(header(session, route().page === 'alert' ? 'inbox' : route().page));
      }
    });
    stopStream = client.stream((u) => store.apply(u), () => void store.load(), (live) => store.setLive(live));
    render();
    await store.load();
    return undefined;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return t('signin.wrong');
    return t('common.error', { message: (err as Error).message });
  }
}

function signOut(): void {
  stopStream?.();
  cleanup?.();
  session = undefined;
  sessionStorage.removeItem(TOKEN_KEY);
  showSignIn();
}

function showSignIn(message?: string): void {
  clear(root);
  renderSignIn(root, async (token) => {
    const err = await start(token || undefined);
    if (err) showSignIn(err);
  }, message);
}

window.addEventListener('hashchange', render);
await initI18n();
const saved = sessionStorage.getItem(TOKEN_KEY);
if (saved === null) showSignIn();
else {
  const err = await start(saved || undefined);
  if (err) showSignIn(err);
}
