import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { MessageBuilder, messageArb, publishAndCheck, storedProblems, type FuzzGateway } from '../support/fuzz.js';
import { makeCity, startTestPipeline, testInflux, waitFor, type TestPipeline } from '../support/pipeline.js';

/**
 * The broker's publish path under hostile payloads (a short run; `npm run fuzz` is the long one):
 * real MQTT connections, the real pipeline, the real InfluxDB. The seed is printed, so a failure
 * can be replayed with GRIDPULSE_FUZZ_SEED.
 */
describe('ingest fuzz: hostile payloads over MQTT, checked in InfluxDB', () => {
  const city = makeCity(3, 5);
  const influx = testInflux();
  const limits = { maxPayloadBytes: 64 * 1024, maxBatchReadings: 200 };
  let p: TestPipeline;

  beforeAll(async () => {
    p = await startTestPipeline({
      city, influx: { url: influx.url, db: influx.db, apiVersion: influx.apiVersion, token: influx.token },
      overrides: { 'mqtt.maxPayloadBytes': limits.maxPayloadBytes, 'mqtt.maxPacketBytes': 256 * 1024, 'mqtt.maxBatchReadings': limits.maxBatchReadings, 'mqtt.maxMessagesPerSecond': 10_000 },
    });
    await waitFor(async () => p.pipeline.readiness().ready, 20_000, 'pipeline ready');
  });
  afterAll(async () => p?.stop());

  it('answers every bad reading with a reason and stores every good one exactly once', async () => {
    const seed = Number(process.env.GRIDPULSE_FUZZ_SEED ?? Date.now() % 1_000_000);
    const messages = Number(process.env.GRIDPULSE_FUZZ_MESSAGES ?? 300);
    const gateways: FuzzGateway[] = Object.keys(city.passwords).map((id) => ({ id, password: city.passwords[id]!, meters: city.meters[id]! }));
    const templates = fc.sample(messageArb, { numRuns: messages, seed });
    const r = await publishAndCheck(p.mqttUrl, gateways, templates, new MessageBuilder(gateways, limits));
    console.log(`fuzz seed ${seed}: ${r.messages} messages ${JSON.stringify(r.byKind)}, rejects ${JSON.stringify(r.rejectsByReason)}, ${r.goodSent} good readings`);
    expect(r.problems, `seed ${seed}`).toEqual([]);
    expect(r.goodSent).toBeGreaterThan(0);
    await waitFor(async () => p.pipeline.ingest.spoolStats().depthLines === 0, 30_000, 'spool drained');
    const rows = await influx.client.query('SELECT meter, register_kwh FROM reading');
    expect(storedProblems(r.good, rows), `seed ${seed}`).toEqual([]);
    expect(p.pipeline.readiness().ready).toBe(true);
  });
});
