# The sweep that chose the example's IRPO settings: from examples/m0 and one set of iteration-1
# samples, train each variant and evaluate it on the held-out dev split (never on test).
#
#   make -f pipelines/sweep.mk [SWEEP="sft a10 ..."]
#
# Each variant is a line of flags for dpo-train on top of the shared ones (LR, BATCH, EPOCHS of
# example.mk); STEP_v = 1 trains on step-level pairs. README.md has the table it printed.

OUT          ?= runs/example/sweep
SWEEP        ?= sft a10 a30 step10
DATA         ?= runs/example/data
TEST         ?= $(DATA)/dev.jsonl
EVAL_SAMPLES ?= 4
# M1 of the sweep is IRPO with the paper's alpha.
ALPHA        ?= 1

# ablations.mk makes a variant's rules as it is read, so the variants come first.
VARIANTS      := $(SWEEP)
FLAGS_a10     := --loss irpo --alpha 10
FLAGS_a30     := --loss irpo --alpha 30
FLAGS_step10  := --loss irpo --alpha 10
STEP_step10   := 1

include $(dir $(lastword $(MAKEFILE_LIST)))example.mk

.DEFAULT_GOAL := ablations
