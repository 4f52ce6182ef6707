import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { StreamTickets } from './stream-tickets.js';

export const ROLES = ['viewer', 'analyst', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who made a request: a named API token and its role. */
export interface Principal {
  name: string;
  role: Role;
}

/** Looks a bearer token up (hashed tokens in the alert store); undefined when unknown or revoked. */
export type TokenVerifier = (token: string) => Principal | undefined;

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Least role a route needs; absent: open to anyone. */
    role?: Role;
    /** The route also takes a one-use stream ticket as ?ticket= (EventSource cannot send a header). */
    ticket?: boolean;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

const rank = (r: Role) => ROLES.indexOf(r);

/** The configured shared token (http.token) acts as an admin named "config-token". */
export function staticTokenVerifier(token: string | undefined): TokenVerifier {
  if (!token) return () => undefined;
  const want = createHash('sha256').update(token).digest();
  return (got) => (timingSafeEqual(createHash('sha256').update(got).digest(), want) ? { name: 'config-token', role: 'admin' } : undefined);
}

/**
 * onRequest hook: runs before fastify reads or parses a body, so an unauthenticated client cannot
 * make the server buffer or validate anything. Routes declare `config: { role }`.
 */
export function authHook(verifiers: TokenVerifier[], opts: { readRole?: Role; tickets?: StreamTickets }) {
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const header = req.headers.authorization;
    if (header?.startsWith('Bearer ')) {
      const token = header.slice(7).trim();
      for (const v of verifiers) {
        const p = token.length > 0 && token.length <= 256 ? v(token) : undefined;
        if (p) {
          req.principal = p;
          break;
        }
      }
    }
    if (!req.principal && opts.tickets && req.routeOptions.config?.ticket) {
      const ticket = (req.query as { ticket?: unknown }).ticket;
      if (typeof ticket === 'string') req.principal = opts.tickets.redeem(ticket);
    }
    let need = req.routeOptions.config?.role;
    if (!need && opts.readRole && req.url.startsWith('/api/')) need = opts.readRole;
    if (!need) return;
    if (!req.principal) {
      return reply.code(401).header('www-authenticate', 'Bearer').send({ code: 'unauthorized', message: 'missing or unknown bearer token (create one with `gridpulse token create`)' });
    }
    if (rank(req.principal.role) < rank(need)) {
      return reply.code(403).send({ code: 'forbidden', message: `this needs the ${need} role; token ${req.principal.name} has ${req.principal.role}` });
    }
  };
}
