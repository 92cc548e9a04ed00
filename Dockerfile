# syntax=docker/dockerfile:1
# CustomerSignal for self-hosting (docker-compose.yml): ONE image for the platform; each container picks its
# roles with --only (http, aggregate, alert, dispatch, scheduler), exactly as `npm start -- --only aggregate`.
#
#   docker build -t customersignal .                      # the platform image (the last stage, `app`)
#   docker run customersignal --only aggregate            # = npm start -- --only aggregate
#
# A second stage, `postgres-hll`, is Postgres with the hll extension (unique-user sketches, migration 004):
# docker-compose.yml builds it with `target: postgres-hll`.
#
# NOT RUN HERE: the machines this repository is developed on have no Docker engine; test/compose.test.ts checks
# that every file and script this Dockerfile names exists, and validates docker-compose.yml against the Compose
# Specification's JSON schema. Nothing more has been proven.

# --- Postgres 15 (the version development and CI use) with postgresql-15-hll from the PGDG apt repository,
#     which the official Debian-based postgres image already has configured.
FROM postgres:15-bookworm AS postgres-hll
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15-hll \
 && rm -rf /var/lib/apt/lists/*

# --- The platform: Node 20 (as in development and CI), the TypeScript sources run with tsx (as `npm start` does).
FROM node:20-bookworm-slim AS app
WORKDIR /app
# Dependencies first, for the layer cache. devDependencies too: tsx runs the sources and vite builds the dashboard.
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY core ./core
COPY adapters ./adapters
COPY functions ./functions
COPY local ./local
COPY scripts ./scripts
COPY frontend ./frontend
# The dashboard SPA, served at / by the http role (WEB_DIST_DIR).
RUN npm run build:web
# In a container the API listens on every interface (the default, 127.0.0.1, is for a developer's machine).
ENV HOST=0.0.0.0 \
    PORT=3000 \
    WEB_DIST_DIR=frontend/dist
EXPOSE 3000
USER node
# `npm start` is `tsx scripts/start.ts`; called directly so that signals reach the process (clean shutdown).
ENTRYPOINT ["node_modules/.bin/tsx", "scripts/start.ts"]
CMD ["--only", "http"]
