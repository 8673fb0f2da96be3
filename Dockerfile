# One image per Eventide program, each holding only its bundles:
#   docker build --build-arg IMAGE=operator -t eventide/operator:<version> .
# The Node version is the one in versions.json (a test keeps them equal).
ARG NODE_VERSION=24.21.0

FROM node:${NODE_VERSION}-alpine AS build
WORKDIR /src
COPY package.json package-lock.json .npmrc ./
# npm ci's postinstall applies these fixes to dependencies (patch-package) before anything is bundled.
COPY patches/ patches/
RUN npm ci --no-audit --no-fund
COPY tsconfig.json versions.json ./
COPY shared/ shared/
COPY cdk8s/images.ts cdk8s/
COPY scripts/bundle.ts scripts/
COPY operator/ operator/
COPY lib/ lib/
COPY services/ services/
ARG IMAGE
RUN node scripts/bundle.ts "${IMAGE}" /out

FROM node:${NODE_VERSION}-alpine
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /out/ ./
# The "node" user (uid 1000) of the base image; the chart runs it with a read-only root FS.
USER 1000:1000
EXPOSE 8080
