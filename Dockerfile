# GridPulse pipeline image (docs/operations.md#running-with-docker-compose).
# Build stage: full dependencies to compile TypeScript; runtime stage: production dependencies only.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# No install scripts: nothing GridPulse runs needs a native build (ssh2/cpu-features are optional
# dependencies of testcontainers, a test-only package).
RUN npm ci --ignore-scripts
COPY tsconfig.json ./
COPY src ./src
COPY ingest ./ingest
COPY analytics ./analytics
COPY simulator ./simulator
COPY test/bench ./test/bench
COPY test/support ./test/support
RUN npm run build && npm prune --omit=dev --ignore-scripts

FROM node:20-slim
ENV NODE_ENV=production \
    GRIDPULSE_DATA_DIR=/app/data \
    GRIDPULSE_INFLUX_MANAGE=never
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The spool, dead letters, registry and analyzer state: mount a volume here (docker-compose.yml does).
RUN mkdir -p /app/data && chown node:node /app/data
USER node
VOLUME ["/app/data"]
# MQTT over TCP, MQTT over WebSocket, HTTP API (/healthz, /readyz, /metrics).
EXPOSE 1883 8083 8080
# node:20-slim has neither curl nor wget: Node's fetch asks /readyz (200 ready, 503 with reasons).
HEALTHCHECK --interval=15s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.GRIDPULSE_HTTP_PORT || 8080) + '/readyz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
CMD ["node", "dist/src/cli/main.js", "start"]
