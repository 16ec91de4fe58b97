# syntax=docker/dockerfile:1

# Node 22 is a maintenance LTS until April 2027 and the closest LTS to the Node 20 the test suite runs
# on. Override with `--build-arg NODE_VERSION=24` to move to the next LTS.
ARG NODE_VERSION=22

# Debian slim rather than Alpine (the seed's choice): better-sqlite3 is a native addon, and when
# prebuild-install cannot download a binary (offline or proxied builds, a Node release newer than the
# published prebuilds) npm compiles it with node-gyp, which needs python3, make and g++. Builder and
# runtime share one glibc base, so the addon compiled here loads unchanged in the runtime stage; on
# Alpine every such compile is a musl build with its own toolchain and prebuild gaps.

# ---- build: install all dependencies, compile TypeScript, then drop the dev dependencies ----
FROM node:${NODE_VERSION}-bookworm-slim AS build

RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Manifests first: the dependency layer is rebuilt only when they change, not on every source edit.
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm \
  npm ci --no-audit --no-fund

COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY mcp-servers ./mcp-servers
RUN npm run build \
  && npm prune --omit=dev --no-audit --no-fund

# ---- runtime: production dependencies, compiled output, migrations and the web page only ----
FROM node:${NODE_VERSION}-bookworm-slim AS runtime

LABEL org.opencontainers.image.title="msev15e2e-ts" \
  org.opencontainers.image.description="AI customer-service agent API (Fastify, TypeScript)" \
  org.opencontainers.image.version="0.1.0" \
  org.opencontainers.image.licenses="MIT"

ENV NODE_ENV=production

WORKDIR /app

# The image's built-in unprivileged `node` user (uid/gid 1000) runs the service. Code stays owned by
# root and read-only to it; only the SQLite/outbox directory and the log directory are writable.
RUN mkdir -p /app/data /app/logs \
  && chown node:node /app/data /app/logs

# package.json carries "type": "module" (dist/ is ESM) and the version the API reports.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# Migrations are read at start-up from the repository root, next to dist/.
COPY drizzle ./drizzle
# The web chat page is plain static files, served as they are from src/web/ (no build step).
COPY src/web ./src/web

USER node

EXPOSE 9080

# Same probe an orchestrator would use: no curl in slim images, so Node's built-in fetch does it. The
# complaints service runs from this image too and overrides this in docker-compose.yml.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.SERVER_PORT || 9080) + '/health/liveness').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]

# Exec form: node is the container's main process and receives SIGTERM itself, which starts the
# graceful shutdown (stop accepting, drain turns for SHUTDOWN_GRACE_MS, close MCP/SMTP/DB, flush logs).
STOPSIGNAL SIGTERM
CMD ["node", "dist/src/server.js"]
