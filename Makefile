GO ?= go
BIN := bin/emporix-import
PKGS := ./...
FUZZTIME ?= 10s

.PHONY: build test vet fmt-check demo bench fuzz chaos clean

build:
	$(GO) build -o $(BIN) ./cmd/emporix-import

vet:
	$(GO) vet $(PKGS)

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

test: fmt-check vet
	$(GO) test -race -count=1 $(PKGS)

demo: build
	@./$(BIN) import samples/customers.csv --embedded --activate --rate 50; rc=$$?; \
	if [ $$rc -ne 0 ] && [ $$rc -ne 3 ]; then exit $$rc; fi

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1x $(PKGS)

# Each fuzz target runs for FUZZTIME (go test -fuzz takes one target at a time).
FUZZ_TARGETS := sheet:FuzzCSV sheet:FuzzXLSX mapping:FuzzLoad mapping:FuzzMapRow emporix:FuzzDecodeError emulator:FuzzParseQuery

fuzz:
	@set -e; for t in $(FUZZ_TARGETS); do \
		pkg=$${t%%:*}; fn=$${t##*:}; \
		echo "== $$fn ($$pkg, $(FUZZTIME))"; \
		$(GO) test -run '^$$' -fuzz "^$$fn$$" -fuzztime $(FUZZTIME) ./$$pkg/; \
	done

clean:
	rm -rf bin
