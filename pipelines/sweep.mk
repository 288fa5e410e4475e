# The sweep that chose the example's IRPO settings: from examples/m0 and one set of iteration-1
# samples, train each variant and evaluate it on the held-out dev split (never on test).
#
#   make -f pipelines/sweep.mk [SWEEP="sft a10 ..."]
#
# Each variant is a line of flags for dpo-train on top of the shared ones (LR, BATCH, EPOCHS of
# example.mk); STEP_v = 1 trains on step-level pairs. M1 is IRPO with the paper's alpha, and the
# knobs where the sweep departs from example.mk (OUT, TEST, EVAL_SAMPLES, ALPHA, the rows) are in
# pipelines/defaults.mk. docs/results.md has the table it printed.

# ablations.mk makes a variant's rules as it is read, so the variants come first.
FLAGS_a10     := --loss irpo --alpha 10
FLAGS_a30     := --loss irpo --alpha 30
FLAGS_step10  := --loss irpo --alpha 10
STEP_step10   := 1

PIPELINE ?= sweep
include $(dir $(lastword $(MAKEFILE_LIST)))example.mk

.DEFAULT_GOAL := ablations
