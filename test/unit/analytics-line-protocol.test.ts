import { describe, expect, it } from 'vitest';
import { alertToLine, indexPointToLine, toLineProtocol, type Alert } from '../../analytics/index.js';

describe('line protocol for Grafana', () => {
  it('production index: measurement production_index, tags scope/entity/resolution, seconds', () => {
    expect(indexPointToLine({ scope: 'chain', entity: 'nev_parts', resolution: 'hour', ts: 1_742_350_000_000, actualKwh: 80.5, expectedKwh: 100, index: 80.5 }))
      .toBe('production_index,entity=nev_parts,resolution=hour,scope=chain index=80.5,actual_kwh=80.5,expected_kwh=100 1742350000');
  });
  it('alert: one annotation point at `since`, escaped tags and strings', () => {
    const a: Alert = {
      id: 'al-1-chain-x', kind: 'chain_disruption', scope: 'chain', entity: 'nev parts', status: 'open', openedAt: 1_742_350_900_000, since: 1_742_350_000_000,
      updatedAt: 1_742_350_900_000, baselineKwh: 200, actualKwh: 50, dropPct: 75, contributors: [{ enterprise: 'E0', share: 0.8, missingKwh: 120 }, { enterprise: 'E1', share: 0.2, missingKwh: 30 }],
      evidence: { detectedAtTs: 1_742_350_900_000, intervals: 1 },
    };
    const line = alertToLine(a);
    expect(line.startsWith('alert,entity=nev\\ parts,kind=chain_disruption,scope=chain,status=open id="al-1-chain-x",title="chain_disruption chain nev parts"')).toBe(true);
    expect(line).toContain('contributors: E0 80%, E1 20%');
    expect(line.endsWith(' 1742350000')).toBe(true);
    expect(toLineProtocol([], [a])).toEqual([line]);
    expect(line).not.toContain('parent_id');
    // A member's alert names the disruption it is part of.
    const child = alertToLine({ ...a, id: 'al-2-enterprise-E0', kind: 'production_halt', scope: 'enterprise', entity: 'E0', contributors: [], parentId: 'al-1-chain-x' });
    expect(child).toContain(',parent_id="al-1-chain-x" ');
  });
});
