# Tanda: the developer commands. `make run` starts Tanda on this machine;
# `make test` runs every test (what CI runs).

GO        ?= go
BIN       := bin
DATA_DIR  ?= .tanda
LISTEN    ?= 127.0.0.1:8265
PKGS      := ./...

export GOFLAGS ?= -trimpath

.PHONY: all run build test test-short lint bench fuzz clean

all: build

## build: the tanda binary (API, scheduler, provisioner, agent and CLI)
build:
	$(GO) build -o $(BIN)/tanda ./cmd/tanda

## run: Tanda on one machine, data in $(DATA_DIR), API on $(LISTEN)
run: build
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

## lint: formatting and vet
lint:
	@fmt=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$fmt" ]; then echo "gofmt needed on:"; echo "$$fmt"; exit 1; fi
	$(GO) vet $(PKGS)

## bench: the benchmarks recorded in docs/BENCHMARKS.md
bench:
	$(GO) test -run '^$$' -bench . -benchmem $(PKGS)

## fuzz: each fuzz target for a short while (FUZZTIME=30s by default)
FUZZTIME ?= 30s
fuzz:
	$(GO) test -run '^$$' -fuzz FuzzVerify -fuzztime $(FUZZTIME) ./sigv4
	$(GO) test -run '^$$' -fuzz FuzzParseAuthorization -fuzztime $(FUZZTIME) ./sigv4
	$(GO) test -run '^$$' -fuzz FuzzDecode -fuzztime $(FUZZTIME) ./httpapi
	$(GO) test -run '^$$' -fuzz FuzzRoute -fuzztime $(FUZZTIME) ./httpapi

clean:
	rm -rf $(BIN)
