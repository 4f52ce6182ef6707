import { z } from 'zod';

/** JSON Schema (draft-7, what fastify's ajv and @fastify/swagger read) of a zod schema. */
export function toSchema(s: z.ZodType): Record<string, unknown> {
  const j = z.toJSONSchema(s, { target: 'draft-7', io: 'input' }) as Record<string, unknown>;
  delete j.$schema;
  return j;
}

export const errorSchema = { type: 'object', properties: { code: { type: 'string' }, message: { type: 'string' } }, required: ['code', 'message'] };

/** Path ids: the registry's id pattern (letters, digits, _ . : -), never `.` or `..` alone. */
export const idParams = {
  type: 'object',
  properties: { id: { type: 'string', minLength: 1, maxLength: 128, pattern: '^(?!\\.{1,2}$)[A-Za-z0-9_.:-]+$' } },
  required: ['id'],
};

export const secured = [{ bearer: [] }];
