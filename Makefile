GO ?= go
BIN := bin/emporix-import
PKGS := ./...
FUZZTIME ?= 10s

.PHONY: build test test-all lint guard vet fmt-check demo bench fuzz chaos clean man hostile

# What debug.ReadBuildInfo cannot give: the build date always; the revision and
# dirty flag when VCS stamping is off (GOFLAGS=-buildvcs=false); the version
# from the nearest tag (a stamped module version is a pseudo-version at best).
GIT_TAG := $(shell git describe --tags --dirty 2>/dev/null)
GIT_REV := $(shell git rev-parse HEAD 2>/dev/null)
GIT_DIRTY := $(shell test -n "$$(git status --porcelain 2>/dev/null)" && echo true || echo false)
LDFLAGS := -X main.buildDate=$(shell date -u +%Y-%m-%dT%H:%M:%SZ) -X main.vcsRevision=$(GIT_REV) \
	-X main.vcsModified=$(GIT_DIRTY) $(if $(GIT_TAG),-X main.version=$(GIT_TAG))

build:
	$(GO) build -ldflags "$(LDFLAGS)" -o $(BIN) ./cmd/emporix-import

# man: one page per command (cobra/doc) in man/man1.
man: build
	./$(BIN) man --dir man/man1

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

# test: the fast suite (-short: the chaos test runs 40 customers, a few seconds).
test: fmt-check vet
	$(GO) test -race -short -count=1 $(PKGS)

# test-all: everything. After the fast suite, the packages whose tests consult
# testing.Short() run again at full size, so nothing runs twice for nothing.
LONG_PKGS = $(shell grep -rl --include='*_test.go' 'testing.Short()' . | xargs -r -n1 dirname | sort -u)

test-all: test
	$(if $(strip $(LONG_PKGS)),$(GO) test -race -count=1 -timeout 20m $(LONG_PKGS))
	scripts/hostile.sh

# lint: staticcheck (pinned in go.mod as a tool) and the function-length rule
# (no non-test function over 80 lines; see internal/tools/funclen/allow.txt).
lint:
	$(GO) tool staticcheck $(PKGS)
	$(GO) run ./internal/tools/funclen -max 80 -allow internal/tools/funclen/allow.txt .

# hostile: validate on generated hostile inputs (zip bombs, a 1 GB line, 200 MB
# of blank lines, ...), each checked for its exit code, peak RSS and CPU time
# (part of test-all). Needs GNU time, ~1.3 GB of temporary disk (removed at
# the end) and a few minutes.
hostile:
	scripts/hostile.sh

# guard: no tracked file over 1 MB, no tracked build output.
guard:
	.ci/check-tracked

demo: build
	@./$(BIN) import samples/customers.csv --embedded --activate --rate 50; rc=$$?; \
	if [ $$rc -ne 0 ] && [ $$rc -ne 3 ]; then exit $$rc; fi

# bench: quick per-package micro-benchmarks, then the scenario harness
# (internal/bench), which ends with the table of ratios against the goals
# (BenchmarkGoals: issue 16's goals, each against its baseline in the same
# round, median of 3). Runs in about 10 minutes on 2 idle cores; see BENCHMARKS.md.
bench:
	$(GO) test -run '^$$' -bench 'CSVRead|XLSXRead|ScanXML$$|MapRow|Prepare|Emit|WriteCSV' -benchmem -benchtime 1x ./sheet/ ./mapping/ ./report/
	$(GO) test -run '^$$' -bench . -benchtime 1x -timeout 60m ./internal/bench/

# Each fuzz target runs for FUZZTIME (go test -fuzz takes one target at a time).
FUZZ_TARGETS := sheet:FuzzCSV sheet:FuzzXLSX sheet:FuzzScanXMLDiff sheet:FuzzAtoi sheet:FuzzNeutralise sheet:FuzzSpoolRow sheet:FuzzPlainCell report:FuzzWriteRow mapping:FuzzLoad mapping:FuzzMapRow mapping:FuzzEmail mapping:FuzzSplitLanguage mapping:FuzzContentKey emporix:FuzzDecodeError emulator:FuzzParseQuery emulator:FuzzImportItem

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "== $$fn ($$pkg, $(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) ./$$pkg/; \
	done

# chaos: the chaos test at full size (internal/chaos): 2000 customers through
# injected faults (503, 429, dropped answers, 2 s tokens) and three SIGKILLs
# with --resume, per match mode; then the importer's property tests (report =
# writes, dry run = real run) over 1000 random scenarios each. The small
# versions run in `make test`.
chaos:
	CHAOS_CUSTOMERS=2000 $(GO) test -count=1 -run TestChaos -v -timeout 30m ./internal/chaos/
	PROPERTY_CHECKS=1000 $(GO) test -count=1 -run TestProperty -v -timeout 30m ./importer/

clean:
	rm -rf bin man
