import { ALERT_KINDS } from '../locales.js';
import type { InboxAlert } from '../api.js';
import { h, clear } from '../dom.js';
import { chainName, countyName, fmtDateTime, fmtNum, t, zonedMidnight } from '../i18n.js';
import type { Page } from '../main.js';
import { areasOf, type DisplayState } from '../store.js';

interface Filters { state: DisplayState | ''; kind: string; county: string; chain: string; enterprise: string; minDrop: number; since: string }
const STATES: DisplayState[] = ['open', 'acknowledged', 'resolved', 'withdrawn', 'suppressed'];
// Kept across page changes within the session, like a mail client's folder.
const filters: Filters = { state: '', kind: '', county: '', chain: '', enterprise: '', minDrop: 0, since: '' };
let firstRenderMarked = false;

export function entityLabel(a: Pick<InboxAlert, 'scope' | 'entity'>, name?: string): string {
  if (a.scope === 'chain') return chainName(a.entity);
  if (a.scope === 'county') return countyName(a.entity);
  return name ? `${name} (${a.entity})` : a.entity;
}

export const renderInbox: Page = (el, ctx) => {
  const { store } = ctx;
  const counts = h('div', { class: 'chips', 'data-role-counts': '' });
  const list = h('div', { class: 'alerts', 'data-testid': 'alert-list' });
  const summary = h('p', { class: 'muted' });

  const select = (key: 'state' | 'kind' | 'county' | 'chain', options: [string, string][]) => h('select', { name: key, onchange: (e) => {
    filters[key] = (e.target as HTMLSelectElement).value as never;
    draw();
  } }, h('option', { value: '' }, t('inbox.filter.all')), options.map(([v, label]) => {
    const o = h('option', { value: v }, label);
    o.selected = filters[key] === v;
    return o;
  }));
  const counties = () => [...new Set([...store.enterprises.values()].map((e) => e.county))].sort();
  const chains = () => [...new Set([...store.enterprises.values()].flatMap((e) => e.chains))].sort();
  const filterBar = () => h('form', { class: 'filters', onsubmit: (e) => e.preventDefault() },
    h('label', {}, t('inbox.filter.state'), select('state', STATES.map((s) => [s, t(`state.${s}`)]))),
    h('label', {}, t('inbox.filter.kind'), select('kind', ALERT_KINDS.map((k) => [k, t(`kind.${k}`)]))),
    h('label', {}, t('inbox.filter.county'), select('county', counties().map((c) => [c, countyName(c)]))),
    h('label', {}, t('inbox.filter.chain'), select('chain', chains().map((c) => [c, chainName(c)]))),
    h('label', {}, t('inbox.filter.enterprise'), h('input', { type: 'search', name: 'enterprise', value: filters.enterprise, oninput: (e) => {
      filters.enterprise = (e.target as HTMLInputElement).value.trim();
      draw();
    } })),
    h('label', {}, t('inbox.filter.severity'), h('input', { type: 'number', name: 'minDrop', min: 0, max: 100, step: 5, value: filters.minDrop || '', oninput: (e) => {
      filters.minDrop = Number((e.target as HTMLInputElement).value) || 0;
      draw();
    } })),
    h('label', {}, t('inbox.filter.since'), h('input', { type: 'date', name: 'since', value: filters.since, onchange: (e) => {
      filters.since = (e.target as HTMLInputElement).value;
      draw();
    } })),
  );
  const filterSlot = h('div', {});

  function matches(a: InboxAlert, ignoreKind = false): boolean {
    const st = a.state;
    if (filters.state && st !== filters.state) return false;
    if (!ignoreKind && filters.kind && a.kind !== filters.kind) return false;
    if (filters.minDrop && a.dropPct < filters.minDrop) return false;
    if (filters.since && a.since < zonedMidnight(filters.since)) return false;
    if (filters.county || filters.chain || filters.enterprise) {
      const areas = areasOf(a, store.enterprises);
      if (filters.county && !areas.counties.has(filters.county)) return false;
      if (filters.chain && !areas.chains.has(filters.chain)) return false;
      if (filters.enterprise) {
        const q = filters.enterprise.toLowerCase();
        const hit = [a.entity, ...areas.enterprises].some((id) => id.toLowerCase().includes(q) || (store.enterprises.get(id)?.name.toLowerCase().includes(q) ?? false));
        if (!hit) return false;
      }
    }
    return true;
  }

  let membersOf = new Map<string, InboxAlert[]>();
  function row(a: InboxAlert, members: InboxAlert[]): HTMLElement {
    const st = a.state;
    const name = store.enterprises.get(a.entity)?.name;
    const line = h('a', { class: `alert-row sev-${a.dropPct >= 80 ? 'high' : a.dropPct >= 40 ? 'mid' : 'low'}`, href: `#/alert/${encodeURIComponent(a.id)}`, 'data-alert-id': a.id, 'data-kind': a.kind, 'data-state': st },
      h('span', { class: `kind k-${a.kind}` }, t(`kind.${a.kind}`)),
      h('span', { class: 'entity' }, entityLabel(a, name)),
      h('span', { class: 'drop num' }, a.dropPct > 0 ? `−${fmtNum(a.dropPct, 1)}%` : ''),
      h('span', { class: 'since' }, fmtDateTime(a.since)),
      h('span', { class: `state s-${st}` }, t(`state.${st}`)),
    );
    if (!members.length) return h('div', { class: 'alert' }, line);
    return h('div', { class: 'alert parent' }, line,
      h('details', { class: 'members' }, h('summary', {}, t('inbox.members', { count: members.length })),
        members.map((m) => row(m, membersOf.get(m.id) ?? []))));
  }

  function draw(): void {
    if (!filterSlot.firstChild && store.loaded) filterSlot.append(filterBar());
    const all = store.all();
    const byKind = new Map<string, number>();
    for (const a of all) if (matches(a, true)) byKind.set(a.kind, (byKind.get(a.kind) ?? 0) + 1);
    clear(counts, [...byKind].sort((x, y) => y[1] - x[1]).map(([k, n]) => h('button', { type: 'button', class: filters.kind === k ? 'chip active' : 'chip', 'data-kind-count': k, onclick: () => {
      filters.kind = filters.kind === k ? '' : k;
      const sel = filterSlot.querySelector<HTMLSelectElement>('select[name=kind]');
      if (sel) sel.value = filters.kind;
      draw();
    } }, `${t(`kind.${k}`)} ${fmtNum(n)}`)));
    const shown = all.filter((a) => matches(a)).sort((x, y) => y.openedAt - x.openedAt || y.since - x.since);
    // A chain disruption's member enterprises fold under it (when it is shown too).
    const shownIds = new Set(shown.map((a) => a.id));
    const members = new Map<string, InboxAlert[]>();
    for (const a of shown) if (a.parentId && shownIds.has(a.parentId)) members.set(a.parentId, [...(members.get(a.parentId) ?? []), a]);
    membersOf = members;
    const top = shown.filter((a) => !(a.parentId && shownIds.has(a.parentId)));
    const frag = document.createDocumentFragment();
    for (const a of top) frag.append(row(a, members.get(a.id) ?? []));
    clear(list, top.length ? frag : h('p', { class: 'empty' }, store.loaded ? t('inbox.empty') : t('common.loading')));
    summary.textContent = store.loaded ? t('inbox.count', { count: shown.length }) : '';
    if (store.loaded && !firstRenderMarked) {
      firstRenderMarked = true;
      performance.mark('inbox-rendered', { detail: { alerts: shown.length } });
    }
  }

  el.append(h('h1', {}, t('inbox.title')), filterSlot, counts, summary,
    h('div', { class: 'alert-head' }, ['kind', 'entity', 'drop', 'since', 'state'].map((c) => h('span', {}, t(`inbox.col.${c}`)))), list);
  draw();
  return store.subscribe(draw);
};
