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
	@./$(BIN) import samples/customers.csv --embedded --activate; rc=$$?; \
	if [ $$rc -ne 0 ] && [ $$rc -ne 3 ]; then exit $$rc; fi

bench:
	$(GO) test -run '^$$' -bench . -benchmem -benchtime 1x $(PKGS)

fuzz:
	@echo "fuzz targets: see Makefile"

clean:
	rm -rf bin
