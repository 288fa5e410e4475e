# irpo: Iterative Reasoning Preference Optimization as small Unix filters.
#   make demo     the main job: IRPO iterations and the ablation on the bundled example task
#   make deps     install the system libraries and tools (apt-get, when root)
#   make build    release binaries in .build/release
#   make test     every test (unit and CLI), from a fresh clone
#   make bench    speed: training/decoding tokens/s, GFLOP/s, sgemm GFLOP/s, tokenizer MB/s
#   make install  binaries and man pages under PREFIX (default /usr/local)

PREFIX     ?= /usr/local
SWIFT      ?= swift
BIN        := .build/release
COMMANDS   := sample grade pair dpo-train eval
APT_PKGS   := libopenblas-dev libarchive-dev pkg-config jq groff-base gzip xz-utils zstd
BENCH_ARGS ?=

DEMO_ARGS  ?=

.PHONY: all deps build test bench install clean demo

all: build

deps:
	@missing=""; \
	pkg-config --exists openblas 2>/dev/null || missing="$$missing libopenblas-dev"; \
	pkg-config --exists libarchive 2>/dev/null || missing="$$missing libarchive-dev"; \
	for t in pkg-config jq groff gzip xz zstd; do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	echo "irpo: missing:$$missing"; \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PKGS); \
	else \
		echo "irpo: run: sudo apt-get update && sudo apt-get install -y $(APT_PKGS)"; exit 1; \
	fi

build: deps
	$(SWIFT) build -c release

# Release build, then pipelines/example.mk: M0 (shipped in examples/m0) evaluated, ITERS IRPO
# iterations, the ablation from the same M0, and both tables. Files land in runs/example/.
demo: deps
	$(SWIFT) build -c release
	$(MAKE) -f pipelines/example.mk demo PROGRESS=--progress $(DEMO_ARGS)

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

bench: deps
	$(SWIFT) build -c release --product irpo-bench
	$(BIN)/irpo-bench $(BENCH_ARGS)

install: build
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man7
	for c in $(COMMANDS); do if [ -x $(BIN)/$$c ]; then install -m 755 $(BIN)/$$c $(DESTDIR)$(PREFIX)/bin/; fi; done
	for p in man/man1/*.1; do install -m 644 $$p $(DESTDIR)$(PREFIX)/share/man/man1/; done
	if ls man/man7/*.7 >/dev/null 2>&1; then install -m 644 man/man7/*.7 $(DESTDIR)$(PREFIX)/share/man/man7/; fi

clean:
	rm -rf .build
