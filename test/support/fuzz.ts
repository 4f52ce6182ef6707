/**
 * Hostile MQTT payloads for the fuzz suite (test/unit/decode-fuzz.test.ts, test/integration/ingest-fuzz.test.ts,
 * `npm run fuzz`): fast-check arbitraries of messages that mix good readings with bad ones, or are bad
 * as a whole (too deep, binary, not a reading, oversized, too many readings), each with the outcome
 * the contract in docs/mqtt.md promises. No vitest import: the long run is a plain script.
 */
import fc from 'fast-check';
import mqtt, { type MqttClient } from 'mqtt';
import type { RejectCode } from '../../src/schemas/reading.js';

export interface FuzzGateway { id: string; password: string; meters: string[] }
export interface FuzzLimits { maxPayloadBytes: number; maxBatchReadings: number }

/** A good reading as sent; `ts` is assigned when the message is built, unique over the run. */
interface GoodTemplate { kind: 'good'; meter: number; energyKwh: number; powerKw?: number; quality?: string[] }
type BadTemplate =
  | { kind: 'field'; field: string; raw: string | undefined; code: RejectCode }
  | { kind: 'item'; raw: string }
  | { kind: 'meter'; which: 'unknown' | 'other_gateway' }
  | { kind: 'time'; future: boolean };
type ItemTemplate = GoodTemplate | BadTemplate;

export type MessageTemplate =
  | { kind: 'readings'; shape: 'batch' | 'array' | 'single'; items: ItemTemplate[] }
  | { kind: 'deep'; depth: number; items: ItemTemplate[] }
  | { kind: 'binary'; bytes: Uint8Array }
  | { kind: 'text'; text: string }
  | { kind: 'oversized' }
  | { kind: 'too_many' };

/** One message as published, and what the pipeline must answer. */
export interface FuzzMessage {
  kind: MessageTemplate['kind'];
  payload: Buffer;
  /** Readings that must be stored, exactly once: meter, ts, register value. */
  good: { meter: string; ts: number; energyKwh: number }[];
  /** Per batch index (or -1 for a single reading), the reject code each bad reading must get. */
  bad: Map<number, RejectCode>;
  /** Set when the whole message must be refused with one of these codes and nothing stored. */
  whole?: RejectCode[];
}

const invalid = (field: string, raws: string[]) => raws.map((raw) => ({ kind: 'field' as const, field, raw, code: 'invalid_reading' as const }));
/** Field values that break the reading contract, as raw JSON tokens: huge numbers, NaN strings, wrong types. */
const BAD_FIELDS: BadTemplate[] = [
  ...invalid('energyKwh', ['1e999', '-1e999', '"NaN"', '"Infinity"', '1e300', '-1', 'null', 'true', '[]', '{}', '"12"', '1000000', '1.7976931348623157e308']),
  ...invalid('ts', ['"yesterday"', '1.5', '"2026-01-01T00:00:00"', '-1', 'null', '1e999', '"NaN"', '{}']),
  ...invalid('powerFactor', ['2', '-1.5', '"NaN"', '1e999']),
  ...invalid('voltageV', ['[1,2]', '[1,2,"3"]', '[1,2,1e999]', '[[1],[2],[3]]', '"230"']),
  ...invalid('quality', ['[1]', '"estimated"', `["${'q'.repeat(33)}"]`, `[${Array(17).fill('"a"').join(',')}]`]),
  ...invalid('powerKw', ['1e6', '"1"', '1e999']),
  ...invalid('meter', ['42', '""', `"${'x'.repeat(65)}"`, '"a b"', '"a/b"', 'null']),
  ...invalid('foo', ['1']),
  { kind: 'field', field: 'energyKwh', raw: undefined, code: 'invalid_reading' },
  { kind: 'field', field: 'ts', raw: undefined, code: 'invalid_reading' },
];

const goodArb: fc.Arbitrary<GoodTemplate> = fc.record({
  kind: fc.constant('good' as const),
  meter: fc.nat(1000),
  energyKwh: fc.integer({ min: 0, max: 99_999_999 }).map((c) => c / 100),
  powerKw: fc.option(fc.integer({ min: -1_000_000, max: 1_000_000 }).map((c) => c / 10), { nil: undefined }),
  quality: fc.option(fc.constantFrom(['estimated'], ['clock_adjusted', 'meter_replaced']), { nil: undefined }),
});

/** Nested arrays as JSON text, `depth` deep. */
const nested = (depth: number) => `${'['.repeat(depth)}${']'.repeat(depth)}`;

const badArb: fc.Arbitrary<BadTemplate> = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...BAD_FIELDS) },
  { weight: 2, arbitrary: fc.oneof(
    fc.integer({ min: 1, max: 13 }).map((d) => nested(d)),
    fc.string({ maxLength: 40 }).map((s) => JSON.stringify(s)),
    fc.constantFrom('1e999', '"NaN"', 'null', 'true', '0', '{}', '{"meter":{"meter":{"meter":1}}}'),
  ).map((raw) => ({ kind: 'item' as const, raw })) },
  { weight: 1, arbitrary: fc.constantFrom('unknown' as const, 'other_gateway' as const).map((which) => ({ kind: 'meter' as const, which })) },
  { weight: 1, arbitrary: fc.boolean().map((future) => ({ kind: 'time' as const, future })) },
);

const itemsArb = fc.array(fc.oneof({ weight: 3, arbitrary: goodArb as fc.Arbitrary<ItemTemplate> }, { weight: 2, arbitrary: badArb as fc.Arbitrary<ItemTemplate> }), { minLength: 1, maxLength: 12 });

export const messageArb: fc.Arbitrary<MessageTemplate> = fc.oneof(
  { weight: 20, arbitrary: fc.record({ kind: fc.constant('readings' as const), shape: fc.constantFrom('batch' as const, 'array' as const), items: itemsArb }) },
  // A single reading is an object with a meter key; a bad one is still such an object.
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('readings' as const), shape: fc.constant('single' as const), items: fc.tuple(fc.oneof(goodArb as fc.Arbitrary<ItemTemplate>, badArb.filter((b) => b.kind !== 'item') as fc.Arbitrary<ItemTemplate>)) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('deep' as const), depth: fc.oneof(fc.integer({ min: 15, max: 40 }), fc.integer({ min: 1000, max: 20_000 })), items: itemsArb }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('binary' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 4000 }) }) },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('text' as const), text: fc.constantFrom('NaN', '{"readings": NaN}', 'Infinity', '{"meter":', '"just a string"', '42', 'null', '{}', '{"readings":{}}', '[1e999', '\u0000') }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'oversized' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'too_many' as const }) },
);

/** Turns templates into payloads; good readings get device times unique over the whole run. */
export class MessageBuilder {
  private seq = 0;
  constructor(private readonly gateways: FuzzGateway[], private readonly limits: FuzzLimits, private readonly start = Math.floor(Date.now() / 60_000) * 60_000 - 20 * 86_400_000) {}

  build(t: MessageTemplate, gw: FuzzGateway): FuzzMessage {
    const m: FuzzMessage = { kind: t.kind, payload: Buffer.alloc(0), good: [], bad: new Map() };
    switch (t.kind) {
      case 'readings': {
        const items = t.items.map((it, i) => this.item(it, gw, m, t.shape === 'single' ? -1 : i));
        const text = t.shape === 'batch' ? `{"readings":[${items.join(',')}]}` : t.shape === 'array' ? `[${items.join(',')}]` : items[0]!;
        m.payload = Buffer.from(text);
        return m;
      }
      case 'deep': {
        const scratch: FuzzMessage = { ...m, good: [], bad: new Map() };
        const items = t.items.map((it, i) => this.item(it, gw, scratch, i));
        items.splice(Math.floor(items.length / 2), 0, nested(t.depth));
        m.payload = Buffer.from(`{"readings":[${items.join(',')}]}`);
        m.whole = ['too_deep'];
        return m;
      }
      case 'binary':
        // 0xff is never valid UTF-8 JSON: these can only be refused whole.
        m.payload = Buffer.concat([Buffer.from([0xff]), t.bytes]);
        m.whole = ['invalid_json', 'too_deep'];
        return m;
      case 'text':
        m.payload = Buffer.from(t.text);
        m.whole = ['invalid_json', 'invalid_payload'];
        return m;
      case 'oversized': {
        const scratch: FuzzMessage = { ...m, good: [], bad: new Map() };
        const one = this.item({ kind: 'good', meter: 0, energyKwh: 1 }, gw, scratch, 0);
        m.payload = Buffer.from(`{"readings":[${one}]${' '.repeat(this.limits.maxPayloadBytes)}}`);
        m.whole = ['payload_too_large'];
        return m;
      }
      case 'too_many':
        m.payload = Buffer.from(`[${Array(this.limits.maxBatchReadings + 1).fill('1').join(',')}]`);
        m.whole = ['batch_too_large'];
        return m;
    }
  }

  private item(t: ItemTemplate, gw: FuzzGateway, m: FuzzMessage, index: number): string {
    if (t.kind === 'item') {
      m.bad.set(index, 'invalid_reading');
      return t.raw;
    }
    const ts = this.start + this.seq++ * 1000;
    if (t.kind === 'good') {
      const meter = gw.meters[t.meter % gw.meters.length]!;
      m.good.push({ meter, ts, energyKwh: t.energyKwh });
      return JSON.stringify({ meter, ts, energyKwh: t.energyKwh, powerKw: t.powerKw, quality: t.quality });
    }
    const base: Record<string, unknown> = { meter: gw.meters[0]!, ts, energyKwh: 12.5 };
    if (t.kind === 'meter') {
      const other = this.gateways.find((g) => g.id !== gw.id);
      base.meter = t.which === 'unknown' || !other ? `fuzz-unknown-${this.seq}` : other.meters[0]!;
      m.bad.set(index, t.which === 'unknown' || !other ? 'unknown_meter' : 'meter_not_on_gateway');
      return JSON.stringify(base);
    }
    if (t.kind === 'time') {
      base.ts = t.future ? Date.now() + 86_400_000 : 1000;
      m.bad.set(index, 'timestamp_out_of_range');
      return JSON.stringify(base);
    }
    m.bad.set(index, t.code);
    delete base[t.field];
    const text = JSON.stringify(base);
    return t.raw === undefined ? text : `${text.slice(0, -1)},"${t.field}":${t.raw}}`;
  }
}

export interface FuzzFigures {
  messages: number;
  byKind: Record<string, number>;
  rejectsByReason: Record<string, number>;
  goodSent: number;
  badSent: number;
  /** Problems found: each names the message and what went wrong. Empty when the contract held. */
  problems: string[];
}

interface RejectAnswer { messageId: number | null; accepted: number; rejects: { code: RejectCode; message: string; index?: number }[] }

/**
 * Publishes `templates` over one QoS 1 connection per gateway (each lane sequential, waiting for
 * its PUBACK), collects the reject answers by message id, and checks each against the contract.
 * The caller then checks storage: every `good` reading stored once (storedProblems).
 */
export async function publishAndCheck(url: string, gateways: FuzzGateway[], templates: MessageTemplate[], builder: MessageBuilder, onProgress?: (done: number) => void): Promise<FuzzFigures & { good: FuzzMessage['good'] }> {
  const figures: FuzzFigures = { messages: 0, byKind: {}, rejectsByReason: {}, goodSent: 0, badSent: 0, problems: [] };
  const good: FuzzMessage['good'] = [];
  const lanes = gateways.map((gw, lane) => ({ gw, todo: templates.filter((_, i) => i % gateways.length === lane) }));
  let done = 0;
  await Promise.all(lanes.map(async ({ gw, todo }) => {
    const client: MqttClient = await mqtt.connectAsync(url, { clientId: `${gw.id}-fuzz`, username: gw.id, password: gw.password, reconnectPeriod: 0, protocolVersion: 4 });
    const answers = new Map<number, RejectAnswer>();
    const waiting = new Map<number, () => void>();
    client.on('message', (_t, payload) => {
      const a = JSON.parse(payload.toString()) as RejectAnswer;
      const id = a.messageId ?? -1;
      answers.set(id, a);
      waiting.get(id)?.();
    });
    await client.subscribeAsync(`gridpulse/v1/${gw.id}/rejects`, { qos: 1 });
    for (const t of todo) {
      const m = builder.build(t, gw);
      figures.messages++;
      figures.byKind[m.kind] = (figures.byKind[m.kind] ?? 0) + 1;
      const ack = await client.publishAsync(`gridpulse/v1/${gw.id}/readings`, m.payload, { qos: 1 });
      const id = (ack as { messageId?: number } | undefined)?.messageId ?? -1;
      const expectAnswer = m.whole !== undefined || m.bad.size > 0;
      if (expectAnswer && !answers.has(id)) {
        await new Promise<void>((res) => {
          const timer = setTimeout(res, 10_000);
          waiting.set(id, () => {
            clearTimeout(timer);
            res();
          });
        });
        waiting.delete(id);
      }
      const a = answers.get(id);
      answers.delete(id);
      const where = `${gw.id} message ${figures.messages} (${m.kind}, ${m.payload.length} B, starts ${JSON.stringify(m.payload.subarray(0, 60).toString())})`;
      for (const r of a?.rejects ?? []) figures.rejectsByReason[r.code] = (figures.rejectsByReason[r.code] ?? 0) + 1;
      if (!expectAnswer) {
        if (a) figures.problems.push(`${where}: no reject expected, got ${JSON.stringify(a.rejects.slice(0, 3))}`);
        figures.goodSent += m.good.length;
        good.push(...m.good);
      } else if (!a) {
        figures.problems.push(`${where}: no reject answer within 10 s`);
      } else if (m.whole) {
        figures.badSent++;
        if (a.rejects.length !== 1 || !m.whole.includes(a.rejects[0]!.code) || a.accepted !== 0) figures.problems.push(`${where}: expected one of ${m.whole}, got ${JSON.stringify(a).slice(0, 300)}`);
      } else {
        figures.goodSent += m.good.length;
        figures.badSent += m.bad.size;
        good.push(...m.good);
        if (a.accepted !== m.good.length) figures.problems.push(`${where}: accepted ${a.accepted}, expected ${m.good.length}`);
        const seen = new Map((a.rejects ?? []).map((r) => [r.index ?? -1, r]));
        for (const [index, code] of m.bad) {
          const r = seen.get(index);
          if (!r || r.code !== code || !r.message) figures.problems.push(`${where}: item ${index} expected ${code}, got ${JSON.stringify(r)}`);
        }
        if (seen.size !== m.bad.size) figures.problems.push(`${where}: ${seen.size} rejects for ${m.bad.size} bad readings`);
      }
      onProgress?.(++done);
    }
    await client.endAsync();
  }));
  return { ...figures, good };
}

/** Compares what InfluxDB holds with the good readings sent: each once, with its value. */
export function storedProblems(sent: FuzzMessage['good'], rows: { meter?: unknown; time?: unknown; register_kwh?: unknown }[]): string[] {
  const want = new Map(sent.map((g) => [`${g.meter}@${g.ts}`, g.energyKwh]));
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const r of rows) {
    const k = `${String(r.meter)}@${Number(r.time)}`;
    if (seen.has(k)) problems.push(`stored twice: ${k}`);
    seen.add(k);
    if (!want.has(k)) problems.push(`stored but never sent as good: ${k}`);
    else if (want.get(k) !== r.register_kwh) problems.push(`${k}: stored ${String(r.register_kwh)}, sent ${want.get(k)}`);
  }
  for (const k of want.keys()) if (!seen.has(k)) problems.push(`good reading not stored: ${k}`);
  return problems.slice(0, 20);
}
