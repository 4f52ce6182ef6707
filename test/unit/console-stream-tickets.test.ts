import { describe, expect, it } from 'vitest';
import { MAX_TICKETS, StreamTickets, TICKET_TTL_MS } from '../../src/api/stream-tickets.js';

const who = { name: 'viewer-1', role: 'viewer' as const };

describe('stream tickets', () => {
  it('are random, good once, and dead after their TTL', () => {
    let now = 1_000_000;
    const t = new StreamTickets(() => now);
    const a = t.issue(who)!, b = t.issue(who)!;
    expect(a.ticket).not.toBe(b.ticket);
    expect(a.expiresAt).toBe(now + TICKET_TTL_MS);
    expect(t.redeem(a.ticket)).toEqual(who);
    expect(t.redeem(a.ticket)).toBeUndefined();
    now += TICKET_TTL_MS;
    expect(t.redeem(b.ticket)).toBeUndefined();
    expect(t.size).toBe(0);
    expect(t.redeem('')).toBeUndefined();
    expect(t.redeem('x'.repeat(10_000))).toBeUndefined();
  });

  it('refuse new ones while MAX_TICKETS wait, and make room as they expire', () => {
    let now = 0;
    const t = new StreamTickets(() => now);
    for (let i = 0; i < MAX_TICKETS; i++) expect(t.issue(who)).toBeDefined();
    expect(t.issue(who)).toBeUndefined();
    now += TICKET_TTL_MS;
    expect(t.issue(who)).toBeDefined();
    expect(t.size).toBe(1);
  });
});
