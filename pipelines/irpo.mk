# Iterative Reasoning Preference Optimization, N iterations as make targets.
#
#   make -f pipelines/irpo.mk MODEL=m0 TRAIN=train.jsonl TEST=test.jsonl ITERS=3 [-j2]
#
# Iteration i (1..ITERS) turns model M(i-1) into M(i):
#   samples-i.jsonl  SAMPLES solutions per TRAIN problem from M(i-1) at TEMPERATURE
#   graded-i.jsonl   each graded against the gold answer
#   pairs-i.jsonl    up to PAIRS (correct, wrong) pairs per problem
#   mi/              dpo-train from M(i-1) against the frozen reference M(i-1)
# and every model M0..M(ITERS) is evaluated on TEST: Mi.greedy.jsonl (one greedy sample per
# problem), Mi.jsonl (EVAL_SAMPLES samples for maj@k), Mi.eval.json. The last target prints
# the iteration table (table.txt) and draws iterations.svg. Everything lands in OUT.
#
# An interrupted run resumes where it stopped; changing a variable remakes only what depends on
# it (the values each step was made with are kept in OUT/.vars). -j2 samples the SHARDS parts
# of each iteration side by side.
#
# The knobs and their defaults, the paper's (Pang et al. 2024, GSM8K): pipelines/defaults.mk.

PIPELINE ?= irpo
include $(dir $(lastword $(MAKEFILE_LIST)))common.mk

iters     := $(shell seq 1 $(ITERS))
models    := M0 $(addprefix M,$(iters))
model_of   = $(if $(filter 0,$(1)),$(MODEL),$(OUT)/m$(1))

.PHONY: all table
.DEFAULT_GOAL := all
all: table

$(eval $(call remember,sample,$(TRAIN) $(TEMPLATE) $(MAX_TOKENS) $(SAMPLES) $(TEMPERATURE) $(SEED)))
$(eval $(call remember,pair,$(TASK) $(PAIRS) $(GOLD) $(STEP) $(SEED)))
$(eval $(call remember,train,$(LOSS) $(ALPHA) $(BETA) $(LR) $(BATCH) $(EPOCHS) $(WARMUP) $(SCHEDULE) $(SEED) $(TRAIN_FLAGS)))

# Threads per shard: the cores shared among the shards make runs at once (-jN), at least one.
shard_threads = $$($(PIPELINES)/shard-threads.sh $(SHARDS))

# pair with the iteration's knobs, shared with ablations.mk's step-level pairs.
PAIR = $(IRPO) pair --max-pairs $(PAIRS) --seed $(SEED) $(if $(filter 1,$(GOLD)),--gold-winners)

# dpo-train's flags other than the loss, shared with ablations.mk.
train_flags = --lr $(LR) --batch-size $(BATCH) --epochs $(EPOCHS) --warmup $(WARMUP) --schedule $(SCHEDULE) \
	--seed $(SEED) --threads $(THREADS) $(PROGRESS) $(TRAIN_FLAGS)

# $(call iteration,i,i-1)
define iteration
$(OUT)/samples-$(1).shard-%.jsonl: $(call model_file,$(call model_of,$(2))) $(TRAIN) $(OUT)/.vars/sample
	$(call sample_on,$$(shard_threads)) --model $(call model_of,$(2)) -n $(SAMPLES) --temperature $(TEMPERATURE) --seed $(SEED) \
	  $(call shard_run,$$*,$(TRAIN),$$@)
# The shards go once merged (shards.mk); .SECONDARY keeps make from sampling them again.
$(OUT)/samples-$(1).jsonl: $(foreach s,$(shard_ids),$(OUT)/samples-$(1).shard-$(s).jsonl)
	$(call shard_merge,$$^,$$@) && rm $$^
$(OUT)/graded-$(1).jsonl: $(OUT)/samples-$(1).jsonl
	$(GRADE) $$< > $$@.tmp && mv $$@.tmp $$@
$(OUT)/pairs-$(1).jsonl: $(OUT)/graded-$(1).jsonl $(OUT)/.vars/pair
	$(PAIR) $(if $(filter 1,$(STEP)),--step) $$< > $$@.tmp && mv $$@.tmp $$@
$(OUT)/m$(1)/config.json: $(OUT)/pairs-$(1).jsonl $(call model_file,$(call model_of,$(2))) $(OUT)/.vars/train
	rm -rf $(OUT)/m$(1) $(OUT)/m$(1).state $(OUT)/train-$(1).jsonl
	$(IRPO) dpo-train --model $(call model_of,$(2)) --out $(OUT)/m$(1) --loss $(LOSS) --alpha $(ALPHA) \
	  --beta $(BETA) $(train_flags) --metrics $(OUT)/train-$(1).jsonl $(OUT)/pairs-$(1).jsonl
endef

$(foreach i,$(iters),$(eval $(call iteration,$(i),$(shell echo $$(($(i) - 1))))))
$(foreach i,0 $(iters),$(eval $(call evaluate,M$(i),$(call model_of,$(i)))))

# Intermediate files are results: keep them all, so a later run resumes from them.
.SECONDARY:

$(OUT)/table.txt: $(foreach m,$(models),$(OUT)/$(m).eval.json)
	$(call table,$(models),iterations.svg,accuracy by iteration,--style line) > table.txt.tmp && mv table.txt.tmp table.txt

table: $(OUT)/table.txt
	@cat $<
	@echo "(plot: $(OUT)/iterations.svg)"
