# Shared by every pipeline: where the pipelines and the commands are.
#
# PIPELINES is this folder; ROOT the clone it is in, as a prefix ("" when make runs from it), so
# the pipelines run from any directory while outputs land in the directory make runs in. BIN is
# the folder of the commands: the clone's release build when there is one, else the irpo on PATH
# (make install); IRPO runs them. MPI_BIN holds the dpo-train built with IRPO_MPI=1 (make
# build-mpi), for cluster.mk's training; EXAMPLES the bundled example's files.

PIPELINES := $(patsubst %/,%,$(dir $(lastword $(MAKEFILE_LIST))))
ROOT      := $(patsubst ./%,%,$(patsubst %pipelines,%,$(PIPELINES)))
BIN       ?= $(or $(if $(wildcard $(ROOT).build/release/irpo),$(ROOT).build/release),$(patsubst %/,%,$(dir $(shell command -v irpo))),$(error no irpo: run make build (or make install), or set BIN to the folder of the binaries))
IRPO      := $(BIN)/irpo
MPI_BIN   ?= .build-mpi/release
EXAMPLES   = $(ROOT)examples/
