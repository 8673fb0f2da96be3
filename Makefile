# Every target runs on Node 24: scripts/ensure-node.sh installs it into ~/.cache/eventide when the
# machine's node is older, and it goes first on PATH.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
NODE_BIN := $(shell scripts/ensure-node.sh || echo FAILED)
ifeq ($(NODE_BIN),FAILED)
$(error could not provide Node 24; see the message above)
endif
export PATH := $(NODE_BIN):$(PATH)

.PHONY: help dev load dlq-redrive test install lint typecheck test-unit test-integration contracts synth bench-kafka-clients bench-topic-reconcile bench-scaling-reaction bench-catalog bench-indexer bench-pipeline \
	kind-up kind-down images deploy

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s "$$(printf '\t')"

install: node_modules/.package-lock.json ## install the locked npm dependencies
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

dev: install ## run the platform locally (no cluster needed); Ctrl-C stops everything
	node scripts/dev.ts

load: install ## write through the catalog of a running make dev (RATE=250 DURATION=60); prints the scaling timeline
	node scripts/load.ts

dlq-redrive: install ## republish GROUP's dead letters to their dlq-topic (REASON=text|/re/ OFFSETS=[p:]from-to DRY_RUN=1)
	node scripts/dlq-redrive.ts

test: install ## lint, type-check, unit tests, and integration tests against real servers
	npm run --silent lint
	npm run --silent typecheck
	npx vitest run

test-unit: install ## unit tests only (no servers)
	npx vitest run --project unit

test-integration: install ## integration tests only (starts the servers they need)
	npx vitest run --project integration

contracts: install ## write the JSON Schema of every event type to contracts/ (refuses incompatible changes: make a new .vN type)
	node scripts/contracts.ts

synth: install ## write the manifests of every profile into charts/<profile>/ (cdk8s)
	npm run --silent synth

lint: install
	npm run --silent lint

typecheck: install
	npm run --silent typecheck

bench-kafka-clients: install ## producer/consumer throughput: kafkajs vs @platformatic/kafka on a real broker
	node bench/kafka-clients/main.ts

bench-topic-reconcile: install ## apply N Topics, time until Ready and in Kafka (N = 1, 50, 200), operator RSS
	node bench/topic-reconcile/main.ts

bench-scaling-reaction: install ## lag step → scaled (p50/p95 over 20 steps) and flapping, beside KEDA's defaults
	node bench/scaling-reaction/main.ts

bench-catalog: install ## POST throughput and p50/p99 at a fixed rate and at saturation; relay vs bare producer
	node bench/catalog/main.ts

bench-pipeline: install ## API request → searchable: our pipeline beside the seed's synchronous design (fixed rate and saturation)
	node bench/pipeline/main.ts

bench-indexer: install ## docs/s into Elasticsearch with 1, 2, 4 indexers, beside the bulk ceiling and one-at-a-time
	node bench/indexer/main.ts

# --- The kind path: a real cluster on a machine with Docker and kind -----------------------------
KIND_CLUSTER := eventide
VERSION := $(shell node -p 'require("./package.json").version')
STRIMZI := $(shell node -p 'require("./versions.json").strimzi')
STRIMZI_INSTALL := https://github.com/strimzi/strimzi-kafka-operator/releases/download/$(STRIMZI)/strimzi-cluster-operator-$(STRIMZI).yaml
IMAGES := operator catalog search
DEPLOYMENTS := eventide-operator catalog search-api search-indexer kafka-ui

kind-up: ## create the kind cluster and install the Strimzi operator (pinned release), waiting until it runs
	kind get clusters | grep -qx $(KIND_CLUSTER) || kind create cluster --config deploy/kind-cluster.yaml
	kubectl create namespace eventide --dry-run=client -o yaml | kubectl apply -f -
	# Strimzi's install YAML binds its roles to namespace "myproject"; point them at ours.
	curl -fsSL $(STRIMZI_INSTALL) | sed 's/namespace: .*/namespace: eventide/' | kubectl apply -n eventide --server-side -f -
	kubectl -n eventide rollout status deployment/strimzi-cluster-operator --timeout=300s

images: install ## build the Eventide images and load them into the kind cluster
	for image in $(IMAGES); do \
	  docker build --build-arg IMAGE=$$image -t eventide/$$image:$(VERSION) . && \
	  kind load docker-image --name $(KIND_CLUSTER) eventide/$$image:$(VERSION); \
	done

deploy: ## apply the kind chart: CRDs, then the platform (waits for Kafka and the rollouts), then its Topics
	kubectl apply --server-side -f charts/kind/00-crds.yaml
	kubectl wait --for=condition=Established --timeout=60s crd/topics.eventide.dev crd/consumergroups.eventide.dev
	kubectl apply --server-side -f charts/kind/10-platform.yaml
	kubectl -n eventide wait kafka/eventide --for=condition=Ready --timeout=600s
	kubectl -n eventide rollout status statefulset/postgres statefulset/elasticsearch --timeout=600s
	for deployment in $(DEPLOYMENTS); do kubectl -n eventide rollout status deployment/$$deployment --timeout=300s; done
	kubectl apply --server-side -f charts/kind/20-platform-resources.yaml
	kubectl -n eventide get topics,consumergroups

kind-down: ## delete the kind cluster
	kind delete cluster --name $(KIND_CLUSTER)
