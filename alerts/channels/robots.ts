import { createHmac } from 'node:crypto';
import { render, type Locale } from '../templates.js';
import { matches, postJson, type Channel, type ChannelFilter } from './types.js';

export interface RobotConfig {
  name: string;
  /** WeCom: https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…; DingTalk: https://oapi.dingtalk.com/robot/send?access_token=… */
  url: string;
  /** DingTalk "加签" secret (SEC…): the URL then carries timestamp and sign. */
  secret?: string;
  filter?: ChannelFilter;
  locale?: Locale;
  timeoutMs?: number;
}

/** Both robots answer HTTP 200 with `{errcode, errmsg}`; errcode ≠ 0 is a failed delivery. */
function checkAnswer(body: unknown): void {
  const b = body as { errcode?: number; errmsg?: string } | undefined;
  if (b && typeof b.errcode === 'number' && b.errcode !== 0) throw new Error(`robot refused: errcode ${b.errcode} ${String(b.errmsg ?? '').slice(0, 200)}`);
}

/** WeCom (企业微信) group robot: `{msgtype: markdown, markdown: {content}}` (4096 bytes at most). */
export function wecomChannel(c: RobotConfig, defaults: { locale: Locale; publicUrl?: string }): Channel {
  return {
    name: c.name,
    type: 'wecom',
    secrets: [c.url],
    accepts: (e) => matches(c.filter, e),
    async deliver(e) {
      const r = render(e, c.locale ?? defaults.locale, defaults.publicUrl);
      checkAnswer(await postJson(c.url, { msgtype: 'markdown', markdown: { content: truncateBytes(r.markdown, 4000) } }, {}, c.timeoutMs ?? 10_000));
    },
  };
}

/** DingTalk's signature: base64(HMAC-SHA256(secret, `${timestamp}\n${secret}`)), URL-encoded, timestamp in ms. */
export function dingtalkSign(secret: string, timestamp: number): string {
  return encodeURIComponent(createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64'));
}

/** DingTalk (钉钉) custom robot: `{msgtype: markdown, markdown: {title, text}}`, signed URL when a secret is set. */
export function dingtalkChannel(c: RobotConfig, defaults: { locale: Locale; publicUrl?: string }): Channel {
  return {
    name: c.name,
    type: 'dingtalk',
    secrets: [c.url, ...(c.secret ? [c.secret] : [])],
    accepts: (e) => matches(c.filter, e),
    async deliver(e) {
      const r = render(e, c.locale ?? defaults.locale, defaults.publicUrl);
      let url = c.url;
      if (c.secret) {
        const ts = Date.now();
        url += `${url.includes('?') ? '&' : '?'}timestamp=${ts}&sign=${dingtalkSign(c.secret, ts)}`;
      }
      checkAnswer(await postJson(url, { msgtype: 'markdown', markdown: { title: r.title, text: truncateBytes(r.markdown, 4000) } }, {}, c.timeoutMs ?? 10_000));
    },
  };
}

function truncateBytes(s: string, max: number): string {
  if (Buffer.byteLength(s) <= max) return s;
  let out = s;
  while (Buffer.byteLength(out) > max - 3) out = out.slice(0, Math.floor(out.length * 0.9));
  return `${out}…`;
}
