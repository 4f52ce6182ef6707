import { z } from 'zod';
import { idSchema } from '../registry/schema.js';

/**
 * Every option, its default and its environment variable, in one place (the README table is
 * generated from this by `gridpulse config --markdown`). Keys are dotted paths; env names are
 * GRIDPULSE_ + the path in upper snake case, except the InfluxDB ones, which follow the
 * InfluxDB client convention (INFLUX_URL, INFLUX_TOKEN, ...).
 */
const port = z.coerce.number().int().min(0).max(65535);
/** A listener that can be turned off: a port (0 picks a free one, as everywhere) or "off". */
const portOrOff = z.union([z.literal('off'), port], { error: 'expected a port (0–65535; 0 picks a free one) or "off"' });
const bool = z.union([z.boolean(), z.enum(['true', 'false', '1', '0', 'yes', 'no'])])
  .transform((v) => v === true || v === 'true' || v === '1' || v === 'yes');
const bytes = z.coerce.number().int().positive();
const ms = z.coerce.number().int().nonnegative();
/** Retention in whole days; 0 turns it off. Capped at 100 years so day → ms stays exact. */
const days = z.coerce.number({ error: 'expected a whole number of days (0 keeps everything)' }).int('expected a whole number of days (0 keeps everything)').min(0, 'expected a whole number of days (0 keeps everything)').max(36_500, 'at most 36500 days (0 keeps everything)');
/** A working calendar: cn, none or a holiday file (the registry's enterprise `calendar` takes the same). */
const calendarSpec = z.string().min(1).max(500).regex(/^(cn|none|.+\.(json|ics))$/i, 'expected cn, none or a holiday file (.json or .ics)');
/** County id → calendar; from the environment as a JSON object. */
const countyCalendars = z.preprocess((v) => {
  if (typeof v !== 'string') return v;
  try {
    return JSON.parse(v) as unknown;
  } catch {
    return v;
  }
}, z.record(idSchema, calendarSpec, { error: 'expected a JSON object of county id → cn, none or a holiday file, e.g. {"c-east":"holidays/east.ics"}' }));

export interface OptionDoc { key: string; env: string; default: unknown; doc: string }

export const OPTION_DOCS: OptionDoc[] = [];
function opt<T extends z.ZodType>(key: string, env: string, schema: T, def: z.input<T>, doc: string) {
  OPTION_DOCS.push({ key, env, default: def, doc });
  return schema.default(def as never);
}
function optional<T extends z.ZodType>(key: string, env: string, schema: T, doc: string) {
  OPTION_DOCS.push({ key, env, default: undefined, doc });
  return schema.optional();
}

export const configSchema = z.object({
  dataDir: opt('dataDir', 'GRIDPULSE_DATA_DIR', z.string().min(1), './data', 'Folder for the spool, dead letters, checkpoints and a managed influxd.'),
  registryFile: optional('registryFile', 'GRIDPULSE_REGISTRY', z.string().min(1), 'Registry JSON (or meters CSV) loaded at start; API edits are saved back to it. Default: <dataDir>/registry.json.'),
  logLevel: opt('logLevel', 'GRIDPULSE_LOG_LEVEL', z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']), 'info', 'pino log level.'),
  mqtt: z.object({
    host: opt('mqtt.host', 'GRIDPULSE_MQTT_HOST', z.string(), '0.0.0.0', 'Address the MQTT listeners bind to.'),
    port: opt('mqtt.port', 'GRIDPULSE_MQTT_PORT', port, 1883, 'MQTT over TCP; 0 picks a free port (logged as "gridpulse started").'),
    tlsPort: opt('mqtt.tlsPort', 'GRIDPULSE_MQTT_TLS_PORT', port, 8883, 'MQTT over TLS; used only when tlsCert and tlsKey are set.'),
    tlsCert: optional('mqtt.tlsCert', 'GRIDPULSE_MQTT_TLS_CERT', z.string(), 'PEM certificate file for MQTT over TLS.'),
    tlsKey: optional('mqtt.tlsKey', 'GRIDPULSE_MQTT_TLS_KEY', z.string(), 'PEM private key file for MQTT over TLS.'),
    wsPort: opt('mqtt.wsPort', 'GRIDPULSE_MQTT_WS_PORT', portOrOff, 8083, 'MQTT over WebSocket; 0 picks a free port (logged as "gridpulse started"), `off` disables it.'),
    maxConnections: opt('mqtt.maxConnections', 'GRIDPULSE_MQTT_MAX_CONNECTIONS', z.coerce.number().int().positive(), 20000, 'Connections refused past this, per listener.'),
    maxPayloadBytes: opt('mqtt.maxPayloadBytes', 'GRIDPULSE_MQTT_MAX_PAYLOAD_BYTES', bytes, 1_048_576, 'Larger readings payloads are rejected (payload_too_large).'),
    maxPacketBytes: opt('mqtt.maxPacketBytes', 'GRIDPULSE_MQTT_MAX_PACKET_BYTES', bytes, 2 * 1_048_576, 'An MQTT packet announcing more bytes than this closes its connection before it is read (gridpulse_mqtt_oversized_packets_total); keep it above maxPayloadBytes.'),
    maxBatchReadings: opt('mqtt.maxBatchReadings', 'GRIDPULSE_MQTT_MAX_BATCH', z.coerce.number().int().positive(), 5000, 'Readings per message; larger batches are rejected (batch_too_large).'),
    maxMessagesPerSecond: opt('mqtt.maxMessagesPerSecond', 'GRIDPULSE_MQTT_MAX_MSG_RATE', z.coerce.number().positive(), 200, 'Per-client publish rate; above it PUBACKs are delayed (throttled), never dropped.'),
    authFailureLimit: opt('mqtt.authFailureLimit', 'GRIDPULSE_MQTT_AUTH_FAILURE_LIMIT', z.coerce.number().int().positive(), 5, 'Failed logins per source address and user name before that pair is locked out (a source address: 4× this over all user names).'),
    authLockoutMs: opt('mqtt.authLockoutMs', 'GRIDPULSE_MQTT_AUTH_LOCKOUT_MS', ms, 60_000, 'How long a locked-out source address (and user name) stays refused.'),
    maxClockSkewMs: opt('mqtt.maxClockSkewMs', 'GRIDPULSE_MQTT_MAX_CLOCK_SKEW_MS', ms, 600_000, 'Readings stamped further in the future than this are rejected (timestamp_out_of_range).'),
    maxAgeMs: opt('mqtt.maxAgeMs', 'GRIDPULSE_MQTT_MAX_AGE_MS', ms, 1830 * 86_400_000, 'Readings older than this are rejected (timestamp_out_of_range).'),
  }).prefault({}),
  http: z.object({
    host: opt('http.host', 'GRIDPULSE_HTTP_HOST', z.string(), '0.0.0.0', 'Address the HTTP API binds to.'),
    port: opt('http.port', 'GRIDPULSE_HTTP_PORT', port, 8080, 'HTTP API: /healthz, /readyz, /metrics, /docs, /api/v1/...; 0 picks a free port (logged as "gridpulse started").'),
    token: optional('http.token', 'GRIDPULSE_API_TOKEN', z.string().min(16, 'at least 16 characters'), 'A shared bearer token with the admin role (per-person tokens: `gridpulse token create`). Unset: only created tokens are accepted.'),
    bodyLimitBytes: opt('http.bodyLimitBytes', 'GRIDPULSE_HTTP_BODY_LIMIT', z.coerce.number().int().min(1024).max(1_048_576), 32_768, 'Largest request body; larger ones answer 413 (bodies are read only after the token is checked).'),
    authReads: opt('http.authReads', 'GRIDPULSE_HTTP_AUTH_READS', bool, false, 'Require a token (role viewer or above) for GET /api/v1/... too.'),
    sseMaxBufferedBytes: opt('http.sseMaxBufferedBytes', 'GRIDPULSE_SSE_MAX_BUFFERED', z.coerce.number().int().min(1024), 1_048_576, 'Unsent bytes an SSE client may have before it is dropped (it reconnects with Last-Event-ID).'),
    sseMaxStallMs: opt('http.sseMaxStallMs', 'GRIDPULSE_SSE_MAX_STALL_MS', z.coerce.number().int().min(100), 30_000, 'How long an SSE client may leave the socket full before it is dropped.'),
    timeZone: opt('http.timeZone', 'GRIDPULSE_TIME_ZONE', z.string().refine((tz) => { try { new Intl.DateTimeFormat('en', { timeZone: tz }); return true; } catch { return false; } }, 'expected an IANA time zone such as Asia/Shanghai'), 'Asia/Shanghai', 'Time zone the analyst console shows times in.'),
  }).prefault({}),
  influx: z.object({
    url: optional('influx.url', 'INFLUX_URL', z.url({ protocol: /^https?$/, error: 'expected an http(s) URL such as http://127.0.0.1:8086' }), 'InfluxDB URL. Unset: start a managed influxd if installed, else keep readings in the spool.'),
    apiVersion: opt('influx.apiVersion', 'INFLUX_API_VERSION', z.enum(['auto', 'v1', 'v2']), 'auto', 'v1 (/write, InfluxDB 1.x), v2 (/api/v2/write, ≥1.8, 2.x, 3.x), or auto from /ping.'),
    token: optional('influx.token', 'INFLUX_TOKEN', z.string(), 'v2 token (or user:password for v1 with auth).'),
    org: opt('influx.org', 'INFLUX_ORG', z.string(), 'gridpulse', 'v2 organisation.'),
    bucket: opt('influx.bucket', 'INFLUX_BUCKET', z.string().min(1), 'gridpulse', 'v2 bucket, or the v1 database (created if missing).'),
    retentionPolicy: optional('influx.retentionPolicy', 'INFLUX_RP', z.string(), 'v1 retention policy (default: the database default).'),
    batchLines: opt('influx.batchLines', 'GRIDPULSE_INFLUX_BATCH_LINES', z.coerce.number().int().positive(), 5000, 'Lines per write request.'),
    concurrency: opt('influx.concurrency', 'GRIDPULSE_INFLUX_CONCURRENCY', z.coerce.number().int().min(1).max(64), 4, 'Write requests in flight.'),
    maxRetryDelayMs: opt('influx.maxRetryDelayMs', 'GRIDPULSE_INFLUX_MAX_RETRY_DELAY_MS', ms, 15_000, 'Backoff ceiling between write retries; retries never give up (the spool holds the lines).'),
    timeoutMs: opt('influx.timeoutMs', 'GRIDPULSE_INFLUX_TIMEOUT_MS', ms, 30_000, 'HTTP timeout per request.'),
    manage: opt('influx.manage', 'GRIDPULSE_INFLUX_MANAGE', z.enum(['auto', 'always', 'never']), 'auto', 'Start a local influxd under <dataDir>/influxdb when influx.url is unset (auto), always, or never.'),
    managedPort: opt('influx.managedPort', 'GRIDPULSE_INFLUX_MANAGED_PORT', port, 8086, 'Loopback port of the managed influxd; 0 picks a free one (logged as "started a managed influxd").'),
  }).prefault({}),
  spool: z.object({
    maxBytes: opt('spool.maxBytes', 'GRIDPULSE_SPOOL_MAX_BYTES', bytes, 2 * 1024 ** 3, 'Disk cap; at the cap PUBACKs are withheld (clients retry) and /readyz says so.'),
    segmentBytes: opt('spool.segmentBytes', 'GRIDPULSE_SPOOL_SEGMENT_BYTES', bytes, 64 * 1024 ** 2, 'Spool segment file size.'),
    commitDelayMs: opt('spool.commitDelayMs', 'GRIDPULSE_SPOOL_COMMIT_DELAY_MS', ms, 2, 'Group commit window before fsync; more batches per fsync, later PUBACKs.'),
    fsync: opt('spool.fsync', 'GRIDPULSE_SPOOL_FSYNC', bool, true, 'fdatasync before PUBACK. Turning it off trades durability on power loss for speed.'),
  }).prefault({}),
  deadLetter: z.object({
    maxFileBytes: opt('deadLetter.maxFileBytes', 'GRIDPULSE_DEADLETTER_FILE_BYTES', bytes, 16 * 1024 ** 2, 'Dead-letter file size before rotation.'),
    maxFiles: opt('deadLetter.maxFiles', 'GRIDPULSE_DEADLETTER_MAX_FILES', z.coerce.number().int().positive(), 8, 'Rotated dead-letter files kept (oldest deleted first).'),
  }).prefault({}),
  analytics: z.object({
    enabled: opt('analytics.enabled', 'GRIDPULSE_ANALYTICS', bool, true, 'Run the streaming analyzer on accepted readings.'),
    intervalMinutes: opt('analytics.intervalMinutes', 'GRIDPULSE_ANALYTICS_INTERVAL_MIN', z.coerce.number().int().positive().refine((v) => 60 % v === 0, 'expected minutes that divide an hour: 5, 15, 30 or 60'), 15, 'Interval the analyzer aggregates readings into (5, 15, 30 or 60 minutes; meters sending coarser data are logged, listed and judged at their own interval, their consumption spread evenly between readings).'),
    sensitivity: opt('analytics.sensitivity', 'GRIDPULSE_ANALYTICS_SENSITIVITY', z.enum(['low', 'normal', 'high']), 'normal', 'How readily drops are alerted: low (fewer false alarms), normal, high (more stops found earlier); trade-off in docs/analytics.md.'),
    calendar: opt('analytics.calendar', 'GRIDPULSE_ANALYTICS_CALENDAR', z.string().min(1), 'cn', 'Working calendar: cn (mainland China holidays, make-up days, Spring Festival), none, or a holiday file (.json dates and ranges, or .ics).'),
    timeZone: opt('analytics.timeZone', 'GRIDPULSE_ANALYTICS_TIME_ZONE', z.string().refine((tz) => { try { new Intl.DateTimeFormat('en-US', { timeZone: tz }); return true; } catch { return false; } }, 'expected an IANA time zone such as Asia/Shanghai'), 'Asia/Shanghai', 'IANA time zone of the plants\' calendar and shifts (DST-correct).'),
    countyCalendars: optional('analytics.countyCalendars', 'GRIDPULSE_ANALYTICS_COUNTY_CALENDARS', countyCalendars, 'Calendar per county id (JSON object: county → cn, none or a holiday file), for the enterprises of that county without a registry `calendar` of their own; other counties use analytics.calendar.'),
    learnDays: opt('analytics.learnDays', 'GRIDPULSE_ANALYTICS_LEARN_DAYS', z.coerce.number().int('expected whole days').min(7, 'expected at least 7 days: a week to see every kind of day (each weekday and the weekend) before judging').max(60, 'expected at most 60 days'), 14, 'Days each meter learns its baseline before its drops are judged (7–60): shorter judges new meters earlier, against a noisier baseline.'),
    judgeWeekends: opt('analytics.judgeWeekends', 'GRIDPULSE_ANALYTICS_JUDGE_WEEKENDS', bool, true, 'Judge weekends against the plant\'s own weekend pattern (false: drops starting on a weekend wait for Monday).'),
    clock: opt('analytics.clock', 'GRIDPULSE_ANALYTICS_CLOCK', z.enum(['wall', 'data']), 'wall', 'Time the analyzer evaluates by: wall (live meters) or data (replays, backfills, accelerated simulation: the oldest gateway\'s newest device time; a gateway more than the analyzer\'s window behind, 2 h 15 min by default, is left out).'),
    webhookUrl: optional('analytics.webhookUrl', 'GRIDPULSE_ALERT_WEBHOOK', z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }), 'A Standard Webhooks endpoint for alert changes (channel "default"; signed with alerts.webhookSecret). More channels: alerts.channelsFile.'),
  }).prefault({}),
  alerts: z.object({
    channelsFile: optional('alerts.channelsFile', 'GRIDPULSE_ALERT_CHANNELS', z.string().min(1), 'JSON file of delivery channels: webhooks, WeCom and DingTalk robots, with filters (docs/alerts.md).'),
    webhookSecret: optional('alerts.webhookSecret', 'GRIDPULSE_ALERT_WEBHOOK_SECRET', z.string().regex(/^whsec_[A-Za-z0-9+/=]{16,}$/, 'expected a Standard Webhooks secret: whsec_ + base64'), 'Signing secret of analytics.webhookUrl.'),
    locale: opt('alerts.locale', 'GRIDPULSE_ALERT_LOCALE', z.enum(['zh-CN', 'en']), 'zh-CN', 'Language of robot and e-mail messages.'),
    publicUrl: optional('alerts.publicUrl', 'GRIDPULSE_PUBLIC_URL', z.url({ protocol: /^https?$/, error: 'expected an http(s) URL' }), 'Base URL of this API as people reach it, for links in messages.'),
    flapWindowMinutes: opt('alerts.flapWindowMinutes', 'GRIDPULSE_ALERT_FLAP_WINDOW_MIN', z.coerce.number().int().nonnegative(), 60, 'A new episode this soon after the same one recovered reopens it (one alert, counted as a flap).'),
    flapNotifyLimit: opt('alerts.flapNotifyLimit', 'GRIDPULSE_ALERT_FLAP_NOTIFY_LIMIT', z.coerce.number().int().nonnegative(), 1, 'Reopens per alert that are still sent to people; later flaps are recorded and streamed only.'),
    retryBaseMs: opt('alerts.retryBaseMs', 'GRIDPULSE_ALERT_RETRY_BASE_MS', z.coerce.number().int().positive(), 1000, 'First retry delay of a failed delivery; doubles per attempt.'),
    retryMaxMs: opt('alerts.retryMaxMs', 'GRIDPULSE_ALERT_RETRY_MAX_MS', z.coerce.number().int().positive(), 300_000, 'Longest delay between delivery retries (deliveries never give up).'),
    retentionDays: opt('alerts.retentionDays', 'GRIDPULSE_ALERT_RETENTION_DAYS', days, 400, 'Closed alerts (resolved, withdrawn, suppressed and over) are deleted with their history and outbox rows this many days after they closed, and ended suppression windows no alert refers to this long after they ended; open and acknowledged alerts never are. 0 keeps everything.'),
    auditRetentionDays: opt('alerts.auditRetentionDays', 'GRIDPULSE_ALERT_AUDIT_RETENTION_DAYS', days, 400, 'Audit log rows (who changed what through the API) are deleted this many days after they were written. 0 keeps them.'),
  }).prefault({}),
});

export type Config = z.output<typeof configSchema>;
