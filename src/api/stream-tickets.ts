import { randomBytes } from 'node:crypto';
import type { Principal } from './auth.js';

/** How long a ticket may wait before its stream opens: it is fetched right before. */
export const TICKET_TTL_MS = 30_000;
/** Tickets waiting at once; past that (and after dropping expired ones) new ones are refused. */
export const MAX_TICKETS = 10_000;

/**
 * One-use, short-lived tickets for the alert stream. A browser's EventSource cannot send an
 * Authorization header, so the console trades its token (in a header, on a POST) for a ticket
 * and passes that in the stream's URL: a URL may end up in a log, so what it carries is random,
 * good for one connection, and dead after 30 s, never the long-lived token.
 */
export class StreamTickets {
  /** Ticket → who and until when; insertion order is expiry order (one TTL for all). */
  private readonly tickets = new Map<string, { principal: Principal; expiresAt: number }>();

  constructor(private readonly now: () => number = Date.now) {}

  /** A new ticket for this principal, or undefined while MAX_TICKETS are waiting. */
  issue(principal: Principal): { ticket: string; expiresAt: number } | undefined {
    this.prune();
    if (this.tickets.size >= MAX_TICKETS) return undefined;
    const ticket = randomBytes(32).toString('base64url');
    const expiresAt = this.now() + TICKET_TTL_MS;
    this.tickets.set(ticket, { principal, expiresAt });
    return { ticket, expiresAt };
  }

  /** The ticket's principal, once: a second use, an expired or unknown ticket gives undefined. */
  redeem(ticket: string): Principal | undefined {
    if (ticket.length !== 43) return undefined;
    const t = this.tickets.get(ticket);
    if (!t) return undefined;
    this.tickets.delete(ticket);
    return t.expiresAt > this.now() ? t.principal : undefined;
  }

  get size(): number {
    return this.tickets.size;
  }

  private prune(): void {
    const now = this.now();
    for (const [k, t] of this.tickets) {
      if (t.expiresAt > now) break;
      this.tickets.delete(k);
    }
  }
}
