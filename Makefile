# Every target runs on Node 24: scripts/ensure-node.sh installs it into ~/.cache/eventide when the
# machine's node is older, and it goes first on PATH.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
NODE_BIN := $(shell scripts/ensure-node.sh || echo FAILED)
ifeq ($(NODE_BIN),FAILED)
$(error could not provide Node 24; see the message above)
endif
export PATH := $(NODE_BIN):$(PATH)

.PHONY: help dev test install lint typecheck test-unit test-integration synth bench-kafka-clients

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s "$$(printf '\t')"

install: node_modules/.package-lock.json ## install the locked npm dependencies
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

dev: install ## run the platform locally (no cluster needed); Ctrl-C stops everything
	node scripts/dev.ts

test: install ## lint, type-check, unit tests, and integration tests against real servers
	npm run --silent lint
	npm run --silent typecheck
	npx vitest run

test-unit: install ## unit tests only (no servers)
	npx vitest run --project unit

test-integration: install ## integration tests only (starts the servers they need)
	npx vitest run --project integration

synth: install ## write the manifests of every profile into charts/<profile>/ (cdk8s)
	npm run --silent synth

lint: install
	npm run --silent lint

typecheck: install
	npm run --silent typecheck

bench-kafka-clients: install ## producer/consumer throughput: kafkajs vs @platformatic/kafka on a real broker
	node bench/kafka-clients/main.ts
