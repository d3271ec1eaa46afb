# Tanda: the developer commands. `make run` starts Tanda on this machine;
# `make test` runs every test (what CI runs); `make deploy` deploys it to
# an AWS account with SAM; `make moto` and `make localstack` serve it on
# an emulator.

GO        ?= go
BIN       := bin
BUILD     := build
DATA_DIR  ?= .tanda
LISTEN    ?= 127.0.0.1:8265
PKGS      := ./...

# The Lambda functions (functions/<name>, arm64) and the agents' architectures.
FUNCTIONS   := api scheduler provisioner
AGENT_ARCHS := amd64 arm64

export GOFLAGS ?= -trimpath

.PHONY: all run build tanda functions agents test test-short lint validate \
	deploy moto localstack bench fuzz chaos chaos-aws soak clean

all: build

## build: bin/tanda (API, scheduler, provisioner, agent and CLI), the
## Lambda functions in build/functions/<name>/bootstrap and the agent for
## each architecture in build/agent/tanda-agent-<arch>
build: tanda functions agents

## tanda: bin/tanda for this machine
tanda:
	$(GO) build -o $(BIN)/tanda ./cmd/tanda

FUNCTION_BINS := $(FUNCTIONS:%=$(BUILD)/functions/%/bootstrap)
AGENT_BINS    := $(AGENT_ARCHS:%=$(BUILD)/agent/tanda-agent-%)

functions: $(FUNCTION_BINS)
agents: $(AGENT_BINS)

# Always rebuilt: go build knows what changed.
.PHONY: $(FUNCTION_BINS) $(AGENT_BINS)

# provided.al2023 on arm64; lambda.norpc drops the go1.x runtime's RPC.
$(FUNCTION_BINS): $(BUILD)/functions/%/bootstrap:
	GOOS=linux GOARCH=arm64 CGO_ENABLED=0 $(GO) build -tags lambda.norpc -o $@ ./functions/$*

$(AGENT_BINS): $(BUILD)/agent/tanda-agent-%:
	GOOS=linux GOARCH=$* CGO_ENABLED=0 $(GO) build -o $@ ./cmd/tanda

## run: Tanda on one machine, data in $(DATA_DIR), API on $(LISTEN)
run: tanda
	$(BIN)/tanda up --data-dir $(DATA_DIR) --listen $(LISTEN)

## test: every test, with the race detector; tests that need a tool fail
## (rather than skip) when it is missing. scripts/dockerd.sh starts a
## private dockerd for them (unless one answers already) and
## scripts/moto.sh a moto server; both are stopped after.
test: lint
	TANDA_REQUIRE_TOOLS=1 scripts/dockerd.sh scripts/moto.sh sh -c '\
	  $(GO) test -race -timeout 15m $(PKGS) && \
	  echo "lifecycle suite (control) on DynamoDB and SQS (moto):" && \
	  TANDA_TEST_BACKEND=aws $(GO) test -race -count=1 -timeout 10m ./control/'

## test-short: the fast unit tests only
test-short:
	$(GO) test -short $(PKGS)

## lint: formatting, vet and the SAM template (validate)
lint: validate
	@fmt=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$fmt" ]; then echo "gofmt needed on:"; echo "$$fmt"; exit 1; fi
	$(GO) vet $(PKGS)

## validate: cfn-lint on template.yaml, failing on errors (internal/templatecheck/
## checks the template against the code, in make test)
validate:
	@command -v cfn-lint >/dev/null || { echo "cfn-lint is missing: pip install cfn-lint"; exit 1; }
	cfn-lint --non-zero-exit-code error template.yaml

## deploy: build with sam build, deploy with sam deploy (--guided the first
## time, which writes samconfig.toml), then upload the agents to the
## stack's artifacts bucket. Needs the AWS SAM CLI and the aws CLI.
deploy: agents
	@command -v sam >/dev/null || { echo "deploy needs the AWS SAM CLI: https://docs.aws.amazon.com/serverless-application-model/latest/developerguide/install-sam-cli.html"; exit 1; }
	@command -v aws >/dev/null || { echo "deploy needs the aws CLI"; exit 1; }
	GOFLAGS="$(GOFLAGS) -tags=lambda.norpc" sam build
	if [ -f samconfig.toml ]; then sam deploy; else sam deploy --guided; fi
	@stack=$$(sed -n 's/^stack_name *= *"\(.*\)"/\1/p' samconfig.toml | head -n 1); \
	region=$$(sed -n 's/^region *= *"\(.*\)"/\1/p' samconfig.toml | head -n 1); \
	bucket=$$(aws cloudformation describe-stacks --stack-name "$$stack" $${region:+--region "$$region"} \
	  --query "Stacks[0].Outputs[?OutputKey=='ArtifactsBucket'].OutputValue" --output text) || exit 1; \
	[ -n "$$bucket" ] && [ "$$bucket" != None ] || { echo "stack $$stack has no ArtifactsBucket output"; exit 1; }; \
	for a in $(AGENT_ARCHS); do \
	  aws s3 cp $(BUILD)/agent/tanda-agent-$$a "s3://$$bucket/tanda-agent-$$a" $${region:+--region "$$region"} || exit 1; \
	done; \
	echo "stack $$stack: agents uploaded to s3://$$bucket; endpoint:"; \
	aws cloudformation describe-stacks --stack-name "$$stack" $${region:+--region "$$region"} \
	  --query "Stacks[0].Outputs[?OutputKey=='Endpoint'].OutputValue" --output text

## moto: tanda serve on moto's server (started here, on MOTO_PORT, default
## 5000) with the stack's resources and upload trigger; Ctrl-C stops both
moto: tanda
	localstack/moto.sh $(BIN)/tanda $(SERVE_FLAGS)

## localstack: tanda serve on a running LocalStack (localstack/README.md)
localstack: tanda
	localstack/serve.sh $(BIN)/tanda $(SERVE_FLAGS)

## bench: the benchmarks recorded in docs/BENCHMARKS.md
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

## chaos: the long chaos runs (docs/RELIABILITY.md): 10,000 jobs under
## every fault on one-machine Tanda, then on tanda serve --backend aws on
## moto with a tanda agent process per instance; TANDA_CHAOS_SEED replays
## a run. (make test runs the short ones: on one machine with a random
## seed, on moto with a fixed one.)
chaos:
	TANDA_CHAOS=long $(GO) test -count=1 -timeout 40m -run '^TestChaosUp$$' -v ./integration/chaos/
	TANDA_CHAOS=long scripts/moto.sh $(GO) test -count=1 -timeout 130m -run '^TestChaosAWS$$' -v ./integration/chaos/

## chaos-aws: the short chaos run on tanda serve --backend aws on moto,
## with a random seed (make test runs it with a fixed one)
chaos-aws:
	TANDA_CHAOS=short scripts/moto.sh $(GO) test -count=1 -timeout 20m -run '^TestChaosAWS$$' -v ./integration/chaos/

## soak: bin/tanda up under a steady SOAK_RATE jobs/s (200) of `true` for
## SOAK_TIME (30m), retention a sixth of it; writes docs/soak/soak.csv,
## soak.png and summary.txt and fails if a figure keeps growing
## (docs/RELIABILITY.md). SOAK_PROFILES=DIR saves CPU and heap profiles.
SOAK_TIME  ?= 30m
SOAK_RATE  ?= 200
SOAK_OUT   ?= docs/soak
soak: tanda
	TANDA_SOAK=$(SOAK_TIME) TANDA_SOAK_RATE=$(SOAK_RATE) TANDA_SOAK_BIN=$(CURDIR)/$(BIN)/tanda \
	  TANDA_SOAK_OUT=$(abspath $(SOAK_OUT)) TANDA_SOAK_PROFILES=$(SOAK_PROFILES) \
	  $(GO) test -count=1 -timeout 3h -run '^TestSoak$$' -v ./integration/soak/

## fuzz: the whole API of one-machine Tanda (FuzzAPI: no 5xx, no write
## from a rejected request) for API_FUZZTIME (10m), then each other fuzz
## target for FUZZTIME (30s); docs/RELIABILITY.md
FUZZTIME     ?= 30s
API_FUZZTIME ?= 10m
fuzz:
	$(GO) test -run '^$$' -fuzz '^FuzzAPI$$' -fuzztime $(API_FUZZTIME) ./deploy/local
	$(GO) test -run '^$$' -fuzz FuzzVerify -fuzztime $(FUZZTIME) ./api/sigv4
	$(GO) test -run '^$$' -fuzz FuzzParseAuthorization -fuzztime $(FUZZTIME) ./api/sigv4
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) ./api/httpapi
	$(GO) test -run '^$$' -fuzz FuzzRoute -fuzztime $(FUZZTIME) ./api/httpapi

clean:
	rm -rf $(BIN) $(BUILD) .aws-sam
