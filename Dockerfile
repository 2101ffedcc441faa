# syntax=docker/dockerfile:1
# keymux in a container. It is built the way test/dist/npm-package.test.ts proves the npm package works
# (npm ci; npm pack, whose `prepare` runs `npm run build`; npm install -g of the tarball) and starts as that
# test starts it (`keymux serve`). CI cannot pull base images, so this file is linted there
# (test/dist/container.test.ts), not built.
#
#   docker build -t keymux .
#   docker run --init -p 8080:8080 -e KEYMUX_PROXY_KEYS=secret -e OPENAI_API_KEYS=sk-a,sk-b -v keymux-data:/data keymux

ARG NODE_IMAGE=node:20-bookworm-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Dependencies first (a layer kept while only sources change); their install scripts are not needed.
RUN npm ci --no-audit --no-fund --ignore-scripts
COPY . .
RUN npm pack --pack-destination /pkg --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production \
    KEYMUX_HOST=0.0.0.0 \
    KEYMUX_PORT=8080 \
    KEYMUX_DATA_DIR=/data
COPY --from=build /pkg /tmp/pkg
# The package alone, as `npm install -g keymux` installs it: runtime dependencies only. /data for the SQLite
# store, owned by the unprivileged `node` user of the base image.
RUN npm install -g --no-audit --no-fund /tmp/pkg/keymux-*.tgz \
    && rm -rf /tmp/pkg /root/.npm \
    && mkdir -p /data \
    && chown node:node /data
# A keymux.yaml or .env mounted here is read (and watched for changes) like in any working directory.
WORKDIR /app
USER node
VOLUME ["/data"]
EXPOSE 8080
# Liveness from inside the container (no curl in the slim image: Node's fetch). /healthz needs no proxy key.
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.KEYMUX_PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# SIGTERM drains in-flight requests (up to 30 s), then exits 0: give `docker stop` more than that (-t 35).
STOPSIGNAL SIGTERM
CMD ["keymux", "serve"]
