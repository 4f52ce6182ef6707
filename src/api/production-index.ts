import type { FastifyPluginAsync } from 'fastify';
import type { IndexPoint } from '../../analytics/index.js';

export const productionIndexRoutes: FastifyPluginAsync<{ points: () => IndexPoint[] }> = async (app, o) => {
  app.get('/api/v1/production-index', { schema: { summary: 'Power-based production index per chain and county (actual ÷ expected × 100)', tags: ['index'] } }, async () => o.points());
};
