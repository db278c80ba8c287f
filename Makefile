# Quarry's everyday commands. `make run` and `make test` work on a fresh
# machine with Go installed.

GO            ?= go
GOLANGCI_LINT ?= $(CURDIR)/bin/golangci-lint
GOLANGCI_VERSION := v2.15.0
BIN           := bin/quarry
# The whole suite must stay under 10 minutes on 2 cores.
TEST_TIMEOUT  ?= 10m

.PHONY: run test chaos bench lint build fuzz clean image

## run: quarry dev: the whole fleet in one process on a sample batch; the
## outputs (PDFs, tables, mails) land in ./quarry-out; Ctrl-C or SIGTERM
## stops it. The binary is built first and exec'd, so a signal reaches
## quarry itself (`go run` would die and leave quarry holding its ports).
run: build
	exec ./$(BIN) dev --out quarry-out

## test: the whole test suite with the race detector
test:
	$(GO) test -race -count=1 -timeout $(TEST_TIMEOUT) ./...

## chaos: the fleet as processes under SIGKILLs (quarry localaws, quarry worker,
## a redis-server of its own): exactly one mail per recipient, unknown sends
## settled by themselves, a Redis that loses its data stopping the fleet.
## About 2 minutes on 2 cores; needs redis-server.
chaos:
	QUARRY_CHAOS=1 $(GO) test -race -count=1 -timeout 10m -run '^(TestChaos|TestKilledInsideSendEmailSettlesWithOneMail|TestKilledWhileWaitingForTheSendRate)$$' -v ./cmd/quarry/

## bench: every benchmark, once
bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

## build: the quarry binary in bin/
build:
	$(GO) build -o $(BIN) ./cmd/quarry

## image: the container image ECS runs (Dockerfile: static binary,
## distroless, non-root); IMAGE names it, VERSION stamps quarry version
IMAGE   ?= quarry:$(VERSION)
VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
image:
	docker build --build-arg VERSION=$(VERSION) -t $(IMAGE) .

## lint: go vet, then golangci-lint (with depguard enforcing DESIGN.md's import table)
lint: $(GOLANGCI_LINT)
	$(GO) vet ./...
	$(GOLANGCI_LINT) run ./...

$(GOLANGCI_LINT):
	GOBIN=$(CURDIR)/bin $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)

## fuzz: run every fuzz target for FUZZTIME each (default 20s)
FUZZTIME ?= 20s
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

clean:
	rm -rf bin .localaws quarry-out
