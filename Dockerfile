# Mirrors the README: `npm ci`, `npm run build`, then the server. Multi-stage: the build stage has
# the compiler for better-sqlite3 and the dev dependencies; the runtime stage only what runs
# (README "Image": the same steps reproduced outside Docker measure it; test/ops/image.test.ts
# keeps the two in step).
FROM node:24-bookworm-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ tini && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY scripts ./scripts
COPY src ./src
COPY plugins ./plugins
COPY bench ./bench
COPY web ./web
RUN npm run build
# Production dependencies only, and of better-sqlite3 only its compiled `.node`: its SQLite
# sources, object files and static library (~30 MB) served the compiler.
RUN npm prune --omit=dev --no-audit --no-fund \
  && rm -rf node_modules/better-sqlite3/deps node_modules/better-sqlite3/src \
  && find node_modules/better-sqlite3/build -mindepth 1 -not -path '*/Release' -not -name better_sqlite3.node -prune -exec rm -rf {} +

FROM node:24-bookworm-slim
ENV NODE_ENV=production PORT=8080 DATA_DIR=/data
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
# The server and the plugins; not the bench, not the build script (node runs dist directly).
COPY --from=build /app/dist/src ./dist/src
COPY --from=build /app/dist/plugins ./dist/plugins
# The browser console's page and modules, served as they are (README "Browser console").
COPY --from=build /app/web ./web
# An init as PID 1 (Debian's static tini, so the runtime stage needs no apt): it hands SIGTERM
# from `docker stop` to node and reaps zombies. `-s` keeps it quiet under compose's `init: true`.
COPY --from=build /usr/bin/tini-static /usr/bin/tini
RUN mkdir -p /data && chown node:node /data
USER node
EXPOSE 8080
VOLUME ["/data"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# JWT_SECRET must be provided in production (the server refuses to start without it).
# node itself, not `npm start`: the signal goes straight to the server (graceful shutdown, 1001).
ENTRYPOINT ["/usr/bin/tini", "-s", "--"]
CMD ["node", "dist/src/server.js"]
