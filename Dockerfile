# Revflow production image: the same image runs the API (`npm start`) and the
# queue workers (`npm run worker`); see docker-compose.yml.

# ---- build: install dependencies (compiles isolated-vm with node-gyp) ----
FROM node:20-bookworm-slim AS build

RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

# npm 11 honours package.json "allowScripts" (isolated-vm, esbuild, ...).
RUN npm install -g npm@11 && npm cache clean --force

WORKDIR /app
# Compile isolated-vm against this image's Node rather than fetching a prebuilt binary.
ENV npm_config_update_notifier=false \
    npm_config_fund=false \
    npm_config_audit=false \
    npm_config_build_from_source=isolated-vm

COPY package.json package-lock.json ./
RUN npm ci

COPY . .
# Builds the canvas (and anything else) once a "build" script exists.
RUN npm run build --if-present
# Fail the build now rather than at run time if the native sandbox does not load.
RUN node --no-node-snapshot --input-type=commonjs -e "require('isolated-vm')"

# ---- runtime: no compilers, non-root ----
FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    NODE_OPTIONS=--no-node-snapshot \
    HOST=0.0.0.0 \
    PORT=3000 \
    REVFLOW_DATA_DIR=/app/.data \
    npm_config_update_notifier=false

WORKDIR /app
COPY --from=build --chown=node:node /app /app
RUN mkdir -p /app/.data && chown node:node /app/.data

USER node
EXPOSE 3000
CMD ["npm", "start"]
