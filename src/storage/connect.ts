import type { Config } from '../config/index.js';
import { createInfluxClient, detectApiVersion, type ApiVersion, type InfluxClient } from './influx.js';

/**
 * Connects to InfluxDB, retrying until it answers (1 s, 2 s, … 5 s apart) or `stopped()`: detects the
 * API version from /ping unless configured, and creates the database or bucket. Undefined when stopped.
 */
export async function connectInflux(url: string, o: Config['influx'], hooks: { stopped: () => boolean; failed: (err: Error, attempt: number) => void }): Promise<{ client: InfluxClient; version: string; apiVersion: ApiVersion } | undefined> {
  for (let attempt = 1; !hooks.stopped(); attempt++) {
    try {
      let apiVersion = o.apiVersion === 'auto' ? undefined : o.apiVersion;
      let version = 'configured';
      if (!apiVersion) ({ apiVersion, version } = await detectApiVersion(url));
      const client = createInfluxClient({ url, apiVersion, token: o.token, org: o.org, bucket: o.bucket, retentionPolicy: o.retentionPolicy, timeoutMs: o.timeoutMs });
      await client.ensureDatabase();
      return { client, version, apiVersion };
    } catch (err) {
      hooks.failed(err as Error, attempt);
      await new Promise((r) => setTimeout(r, Math.min(1000 * attempt, 5000)));
    }
  }
  return undefined;
}
