# Every target runs on Node 24: scripts/ensure-node.sh installs it into ~/.cache/eventide when the
# machine's node is older, and it goes first on PATH.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
NODE_BIN := $(shell scripts/ensure-node.sh || echo FAILED)
ifeq ($(NODE_BIN),FAILED)
$(error could not provide Node 24; see the message above)
endif
export PATH := $(NODE_BIN):$(PATH)

.PHONY: help dev load payments-load activation-token reconcile dlq-redrive test install lint typecheck test-unit test-integration contracts synth bench-kafka-clients bench-topic-reconcile bench-operator-scale bench-scaling-reaction bench-catalog bench-indexer bench-pipeline bench-onboarding bench-payments bench-outbox-wakeup bench-tracing \
	kind-up kind-down images deploy doctor undeploy release

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s "$$(printf '\t')"

install: node_modules/.package-lock.json ## install the locked npm dependencies
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

dev: install ## run the platform locally (no cluster needed); Ctrl-C stops everything
	node scripts/dev.ts

load: install ## write through the catalog of a running make dev (RATE=250 DURATION=60); prints the scaling timeline
	node scripts/load.ts

activation-token: install ## the activation token identity sent to EMAIL (read from identity.events of a running make dev)
	@node scripts/activation-token.ts

payments-load: install ## mixed money movements against the payments API of a running make dev (RATE=200 DURATION=30), clients retrying with their keys
	node scripts/payments-load.ts

reconcile: install ## every merchant's money from the journal, the balances, the payments database and payments.events; exit 1 on drift
	@node scripts/reconcile.ts

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

synth: install ## write every profile's manifests into charts/<profile>/ (cdk8s); VALUES=my.yaml [OUT=dir]: one chart from a values file
	VALUES='$(VALUES)' OUT='$(OUT)' npm run --silent synth

lint: install
	npm run --silent lint

typecheck: install
	npm run --silent typecheck

bench-kafka-clients: install ## producer/consumer throughput: kafkajs vs @platformatic/kafka on a real broker
	node bench/kafka-clients/main.ts

bench-topic-reconcile: install ## apply N Topics, time until Ready and in Kafka (N = 1, 50, 200), operator RSS
	node bench/topic-reconcile/main.ts

bench-operator-scale: install ## 1,000 and 10,000 Topics → Ready, a resync's writes, 1,000 ConsumerGroups' poll lateness and lag step → scaled; before and after
	node bench/operator-scale/main.ts

bench-scaling-reaction: install ## lag step → scaled, flapping and cost: Eventide's ConsumerGroup beside a real KEDA (built from the Go module proxy on first run)
	node bench/scaling-reaction/main.ts

bench-catalog: install ## POST throughput and p50/p99 at a fixed rate and at saturation; relay vs bare producer
	node bench/catalog/main.ts

bench-pipeline: install ## API request → searchable: our pipeline beside the seed's synchronous design, each in its own processes on a durable PostgreSQL (fixed rate and saturation, CPU per event by process)
	node bench/pipeline/main.ts

bench-onboarding: install ## teachers created → users exist: teachers/s and p50/p99, beside teachers calling identity over HTTP, each in its own processes on a durable PostgreSQL (CPU per teacher by process)
	node bench/onboarding/main.ts

bench-payments: install ## completion acked → balance reflects it, both designs over HTTP in their own processes, fsync on: rounds, CPU per completion by process, double credits after a consumer SIGKILL
	node bench/payments/main.ts

bench-outbox-wakeup: install ## commits/s and commit → published with fsync on: NOTIFY in the writer's transaction vs a call or a coalesced NOTIFY after commit
	node bench/outbox-wakeup/main.ts

bench-tracing: install ## the pipeline's throughput and request → visible with tracing off, 10 % and 100 % sampled into Jaeger
	node bench/tracing/main.ts

bench-indexer: install ## docs/s into Elasticsearch with 1, 2, 4 indexers, beside the bulk ceiling and one-at-a-time
	node bench/indexer/main.ts

# --- The kind path: a real cluster on a machine with Docker and kind -----------------------------
KIND_CLUSTER := eventide
# Every kubectl call below names its context, so nothing lands on whatever cluster is current.
KUBECONTEXT ?= kind-$(KIND_CLUSTER)
KUBECTL ?= kubectl
PROFILE ?= kind
# Where make images records the ID of each image it loaded, for make deploy.
IMAGE_IDS ?= .eventide/images
KIND_KUBECTL = $(KUBECTL) --context kind-$(KIND_CLUSTER)
VERSION := $(shell node -p 'require("./package.json").version')
STRIMZI := $(shell node -p 'require("./versions.json").strimzi')
STRIMZI_INSTALL := https://github.com/strimzi/strimzi-kafka-operator/releases/download/$(STRIMZI)/strimzi-cluster-operator-$(STRIMZI).yaml
IMAGES = $(shell node -e 'import("./cdk8s/images.ts").then((m) => console.log(Object.keys(m.platformImages()).join(" ")))')

doctor: install ## check kind, kubectl, Docker (CPUs and memory against the profile's requests), disk and the cluster (PROFILE=kind|production, KUBECONTEXT)
	node scripts/doctor.ts --profile $(PROFILE) --context $(KUBECONTEXT)

kind-up: install ## check the machine, create the kind cluster (or use the existing one's context), install the Strimzi operator (pinned release), wait until it runs
	node scripts/doctor.ts --before kind-up
	# An existing cluster: write its context into the kubeconfig again and make it the current one.
	if kind get clusters 2>/dev/null | grep -x $(KIND_CLUSTER) >/dev/null; then \
	  kind export kubeconfig --name $(KIND_CLUSTER); \
	else \
	  kind create cluster --config deploy/kind-cluster.yaml; \
	fi
	$(KIND_KUBECTL) create namespace eventide --dry-run=client -o yaml | $(KIND_KUBECTL) apply -f -
	# Strimzi's install YAML binds its roles to namespace "myproject"; point them at ours.
	curl -fsSL $(STRIMZI_INSTALL) | sed 's/namespace: .*/namespace: eventide/' | $(KIND_KUBECTL) apply -n eventide --server-side -f -
	# The namespace enforces the restricted Pod Security Standard: Strimzi's operator pod gets a
	# restricted security context, and its restricted provider does the same for the Kafka pods.
	$(KIND_KUBECTL) -n eventide patch deployment strimzi-cluster-operator --type=strategic -p '{"spec":{"template":{"spec":{"securityContext":{"runAsNonRoot":true,"seccompProfile":{"type":"RuntimeDefault"}},"containers":[{"name":"strimzi-cluster-operator","securityContext":{"allowPrivilegeEscalation":false,"capabilities":{"drop":["ALL"]}}}]}}}}'
	$(KIND_KUBECTL) -n eventide set env deployment/strimzi-cluster-operator STRIMZI_POD_SECURITY_PROVIDER_CLASS=restricted
	$(KIND_KUBECTL) -n eventide rollout status deployment/strimzi-cluster-operator --timeout=300s

images: install ## build the Eventide images, load them into the kind cluster, record their IDs (make deploy restarts the Pods of a rebuilt one)
	# --provenance=false and an archive: under Docker's containerd image store an attestation
	# manifest makes `kind load docker-image` fail with "content digest … not found".
	# One command a line, so the first failed build, save or load stops the target (an && chain
	# let the next image's success hide it). The ID is written once the node has the image.
	mkdir -p .eventide/images $(IMAGE_IDS)
	for image in $(IMAGES); do \
	  docker build --provenance=false --build-arg IMAGE=$$image -t eventide/$$image:$(VERSION) .; \
	  docker save -o .eventide/images/$$image.tar eventide/$$image:$(VERSION); \
	  kind load image-archive --name $(KIND_CLUSTER) .eventide/images/$$image.tar; \
	  docker image inspect --format '{{.Id}}' eventide/$$image:$(VERSION) > $(IMAGE_IDS)/$$image.id; \
	done

deploy: install ## check the cluster, then apply the kind chart in order: CRDs → platform → Kafka and StatefulSets → operator → Topics Ready → consumers → ConsumerGroups Ready (safe to run again)
	node scripts/doctor.ts --before deploy --context $(KUBECONTEXT)
	node scripts/deploy.ts charts/kind --context $(KUBECONTEXT) --image-ids $(IMAGE_IDS)

release: install ## the release files of every profile into dist/: eventide-<profile>.yaml (CRDs, operator, platform) and eventide-<profile>-resources.yaml (Topics, ConsumerGroups)
	node scripts/release.ts dist

undeploy: install ## remove what deploy applied, in reverse; keeps Retain topics' Kafka data, the namespace and its volumes (DELETE_VOLUMES=1 deletes the volumes)
	node scripts/undeploy.ts charts/kind --context $(KUBECONTEXT)

kind-down: ## delete the kind cluster
	kind delete cluster --name $(KIND_CLUSTER)
