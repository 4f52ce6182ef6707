import { Webhook } from 'standardwebhooks';
import type { AlertEvent } from '../types.js';
import { matches, postJson, type Channel, type ChannelFilter } from './types.js';

export interface WebhookConfig {
  name: string;
  url: string;
  /** Standard Webhooks secret (`whsec_` + base64). Without it deliveries are unsigned. */
  secret?: string;
  filter?: ChannelFilter;
  timeoutMs?: number;
}

/** The JSON body of a delivery: `{type, timestamp, data}` as the Standard Webhooks convention suggests. */
export function webhookPayload(e: AlertEvent): string {
  return JSON.stringify({ type: `alert.${e.change}`, timestamp: new Date(e.at).toISOString(), data: { seq: e.seq, change: e.change, actor: e.actor, comment: e.comment, alert: e.alert } });
}

/** Standard Webhooks: webhook-id (the idempotency key), webhook-timestamp, webhook-signature (signed per attempt). */
export function webhookChannel(c: WebhookConfig): Channel {
  const signer = c.secret ? new Webhook(c.secret) : undefined;
  return {
    name: c.name,
    type: 'webhook',
    secrets: [c.url, ...(c.secret ? [c.secret] : [])],
    accepts: (e) => matches(c.filter, e),
    async deliver(e, key) {
      const body = webhookPayload(e);
      const at = new Date();
      const headers: Record<string, string> = { 'webhook-id': key, 'webhook-timestamp': String(Math.floor(at.getTime() / 1000)) };
      if (signer) headers['webhook-signature'] = signer.sign(key, at, body);
      await postJson(c.url, body, headers, c.timeoutMs ?? 10_000);
    },
  };
}
