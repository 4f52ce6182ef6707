import i18next from 'i18next';
import { resources } from './locales.js';
import { CHAINS, COUNTIES } from '../../src/registry/city.js';
import { midnightIn } from './time.js';

export type Lang = 'zh-CN' | 'en';
const LANG_KEY = 'gridpulse.lang';
let timeZone = 'Asia/Shanghai';

export async function initI18n(): Promise<void> {
  const saved = localStorage.getItem(LANG_KEY);
  await i18next.init({ lng: saved === 'en' ? 'en' : 'zh-CN', fallbackLng: 'zh-CN', resources, interpolation: { escapeValue: false }, returnNull: false });
  document.documentElement.lang = i18next.language;
}

export const t = (key: string, opts?: Record<string, unknown>): string => i18next.t(key, opts ?? {});
export const lang = (): Lang => (i18next.language === 'en' ? 'en' : 'zh-CN');

export async function setLang(l: Lang): Promise<void> {
  localStorage.setItem(LANG_KEY, l);
  await i18next.changeLanguage(l);
  document.documentElement.lang = l;
}

export function setTimeZone(tz: string): void {
  timeZone = tz;
}

const cache = new Map<string, Intl.DateTimeFormat | Intl.NumberFormat>();
function dtf(kind: 'datetime' | 'date' | 'day' | 'time'): Intl.DateTimeFormat {
  const key = `${lang()}|${timeZone}|${kind}`;
  let f = cache.get(key) as Intl.DateTimeFormat | undefined;
  if (!f) {
    const o: Intl.DateTimeFormatOptions = kind === 'datetime' ? { dateStyle: 'short', timeStyle: 'short' }
      : kind === 'date' ? { dateStyle: 'medium' } : kind === 'day' ? { month: 'numeric', day: 'numeric' } : { hour: '2-digit', minute: '2-digit' };
    f = new Intl.DateTimeFormat(lang(), { ...o, timeZone });
    cache.set(key, f);
  }
  return f;
}
export const fmtDateTime = (ms: number): string => dtf('datetime').format(ms);
export const fmtDate = (ms: number): string => dtf('date').format(ms);
export const fmtDay = (ms: number): string => dtf('day').format(ms);

export function fmtNum(v: number, digits = 0): string {
  const key = `${lang()}|n${digits}`;
  let f = cache.get(key) as Intl.NumberFormat | undefined;
  if (!f) {
    f = new Intl.NumberFormat(lang(), { maximumFractionDigits: digits, minimumFractionDigits: digits });
    cache.set(key, f);
  }
  return f.format(v);
}

/** Day key (YYYY-MM-DD) of an instant in the configured zone, for grouping daily points. */
export function dayKey(ms: number): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(ms);
}

const chainNames = new Map<string, { zh: string; en: string }>(CHAINS.map((c) => [c.id, { zh: c.zh, en: c.name }]));
const countyNames = new Map<string, { zh: string; en: string }>(COUNTIES.map((c) => [c.id, { zh: c.zh, en: c.name }]));
export const chainName = (id: string): string => chainNames.get(id)?.[lang() === 'en' ? 'en' : 'zh'] ?? id;
export const countyName = (id: string): string => countyNames.get(id)?.[lang() === 'en' ? 'en' : 'zh'] ?? id;


/** Midnight of a YYYY-MM-DD day in the configured zone (date inputs carry no zone). */
export const zonedMidnight = (day: string): number => midnightIn(day, timeZone);
