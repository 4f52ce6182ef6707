import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadConfig, ConfigError, configMarkdownTable } from '../../src/config/index.js';
import { createMetrics } from '../../src/metrics.js';
import { tempDir } from '../support/pipeline.js';

describe('config', () => {
  it('has a default for everything a fresh machine needs', () => {
    const c = loadConfig({ env: {} });
    expect(c.mqtt.port).toBe(1883);
    expect(c.http.port).toBe(8080);
    expect(c.influx.url).toBeUndefined();
    expect(c.spool.fsync).toBe(true);
    // Long enough for the console's "same week last year"; 0 turns pruning off.
    expect(c.alerts.retentionDays).toBe(400);
    expect(c.alerts.auditRetentionDays).toBe(400);
    expect(loadConfig({ env: { GRIDPULSE_ALERT_RETENTION_DAYS: '0' } }).alerts.retentionDays).toBe(0);
  });
  it.each([
    [{ GRIDPULSE_MQTT_PORT: 'abc' }, /mqtt\.port \(GRIDPULSE_MQTT_PORT\)="abc": .*number/],
    [{ GRIDPULSE_MQTT_PORT: '70000' }, /mqtt\.port \(GRIDPULSE_MQTT_PORT\)="70000"/],
    [{ INFLUX_URL: 'localhost:8086' }, /influx\.url \(INFLUX_URL\)="localhost:8086": expected an http\(s\) URL/],
    [{ INFLUX_API_VERSION: 'v3' }, /influx\.apiVersion \(INFLUX_API_VERSION\)="v3"/],
    [{ GRIDPULSE_SPOOL_FSYNC: 'maybe' }, /spool\.fsync \(GRIDPULSE_SPOOL_FSYNC\)="maybe"/],
    [{ GRIDPULSE_API_TOKEN: 'short' }, /http\.token \(GRIDPULSE_API_TOKEN\)="short": at least 16/],
    [{ GRIDPULSE_ALERT_RETENTION_DAYS: '-1' }, /alerts\.retentionDays \(GRIDPULSE_ALERT_RETENTION_DAYS\)="-1": expected a whole number of days/],
    [{ GRIDPULSE_ALERT_RETENTION_DAYS: '1.5' }, /alerts\.retentionDays \(GRIDPULSE_ALERT_RETENTION_DAYS\)="1.5": expected a whole number of days/],
    [{ GRIDPULSE_ALERT_AUDIT_RETENTION_DAYS: 'forever' }, /alerts\.auditRetentionDays \(GRIDPULSE_ALERT_AUDIT_RETENTION_DAYS\)="forever": expected a whole number of days/],
  ])('names the key, the value and what was expected for %j', (env, message) => {
    expect(() => loadConfig({ env })).toThrow(ConfigError);
    expect(() => loadConfig({ env })).toThrow(message);
  });
  it('reads a JSON file, and the environment overrides it', () => {
    const f = join(tempDir(), 'c.json');
    writeFileSync(f, JSON.stringify({ mqtt: { port: 1999 }, http: { port: 9000 } }));
    const c = loadConfig({ file: f, env: { GRIDPULSE_HTTP_PORT: '9001' } });
    expect(c.mqtt.port).toBe(1999);
    expect(c.http.port).toBe(9001);
  });
  it('documents every key with its environment variable', () => {
    const t = configMarkdownTable();
    expect(t).toContain('`spool.maxBytes` | `GRIDPULSE_SPOOL_MAX_BYTES`');
    expect(t).toContain('`influx.url` | `INFLUX_URL`');
  });

  it('mqtt.wsPort: 0 picks a free port like every other port, "off" disables, anything else names the key', () => {
    expect(loadConfig({ env: { GRIDPULSE_MQTT_WS_PORT: '0' } }).mqtt.wsPort).toBe(0);
    expect(loadConfig({ env: { GRIDPULSE_MQTT_WS_PORT: 'off' } }).mqtt.wsPort).toBe('off');
    expect(loadConfig({ env: {} }).mqtt.wsPort).toBe(8083);
    expect(() => loadConfig({ env: { GRIDPULSE_MQTT_WS_PORT: 'none' } })).toThrow('invalid config mqtt.wsPort (GRIDPULSE_MQTT_WS_PORT)="none": expected a port (0–65535; 0 picks a free one) or "off"');
  });

  it('names the process metrics gridpulse_process_* and gridpulse_nodejs_* (one prefix, not two)', async () => {
    const names = (await createMetrics().registry.getMetricsAsJSON()).map((m) => m.name);
    expect(names).toContain('gridpulse_process_cpu_user_seconds_total');
    expect(names).toContain('gridpulse_nodejs_eventloop_lag_p99_seconds');
    expect(names.filter((n) => n.includes('process_process') || n.startsWith('gridpulse_process_nodejs'))).toEqual([]);
  });
});
