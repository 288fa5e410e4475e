# Iterative Reasoning Preference Optimization, N iterations as make targets.
#
#   make -f pipelines/irpo.mk MODEL=m0 TRAIN=train.jsonl TEST=test.jsonl ITERS=3 [-j2]
#
# Iteration i (1..ITERS) turns model M(i-1) into M(i):
#   samples-i.jsonl  SAMPLES solutions per TRAIN problem from M(i-1) at TEMPERATURE
#   graded-i.jsonl   each graded against the gold answer
#   pairs-i.jsonl    up to PAIRS (correct, wrong) pairs per problem
#   mi/              dpo-train from M(i-1) against the frozen reference M(i-1) (REF=prev), or
#                    against M0 in every iteration (REF=init)
# and every model M0..M(ITERS) is evaluated on TEST: Mi.greedy.jsonl (one greedy sample per
# problem), Mi.jsonl (EVAL_SAMPLES samples for maj@k), Mi.eval.json. The last target prints
# the iteration table (table.txt) and draws iterations.svg. Everything lands in OUT.
#
# With REWARD=judge, the self-rewarding loop (Yuan et al. 2024): judged-i.jsonl holds each
# sample scored by JUDGE (by default M(i-1) itself: grade --judge, JUDGE_SAMPLES judgements
# averaged) in place of graded-i.jsonl, and pairs-i.jsonl its PAIR_STRATEGY pairs by score.
# The test problems are still graded against their gold answers. The first line make prints
# names the reward and the reference (REF).
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

$(if $(filter-out gold judge,$(REWARD)),$(error REWARD must be gold or judge, not $(REWARD)))
$(if $(filter-out prev init,$(REF)),$(error REF must be prev or init, not $(REF)))
judging := $(filter judge,$(REWARD))

# The run's header line: what rewards the samples and what each model is trained against.
judge_said := $(if $(JUDGE),$(JUDGE),each iteration's own model)
ref_said   := $(if $(filter init,$(REF)),M0 for every M(i),M(i-1) for M(i))
$(info $(PIPELINE): $(ITERS) iterations from $(MODEL) in $(OUT); REWARD=$(REWARD)$(if $(judging), (judge: $(judge_said))); REF=$(REF) (reference: $(ref_said)))

$(eval $(call remember,sample,$(TRAIN) $(TEMPLATE) $(MAX_TOKENS) $(SAMPLES) $(TEMPERATURE) $(SEED)$(if $(filter 1,$(CHAT)), chat)))
# The values of a gold run are remembered as they always were, so its files stay made.
$(eval $(call remember,pair,$(TASK) $(PAIRS) $(GOLD) $(STEP) $(SEED)$(if $(judging), judge $(PAIR_STRATEGY) $(MIN_GAP))))
$(eval $(call remember,train,$(LOSS) $(ALPHA) $(BETA) $(LR) $(BATCH) $(EPOCHS) $(WARMUP) $(SCHEDULE) $(SEED) $(TRAIN_FLAGS)$(if $(filter init,$(REF)), ref=init)))
$(if $(judging),$(eval $(call remember,judge,$(JUDGE) $(JUDGE_SAMPLES) $(JUDGE_TEMPERATURE) $(JUDGE_TOP_P) $(JUDGE_MAX_TOKENS) $(JUDGE_TEMPLATE) $(SEED))))

# Threads per shard: the cores shared among the shards make runs at once (-jN), at least one.
shard_threads = $$($(PIPELINES)/shard-threads.sh $(SHARDS))

# pair with the iteration's knobs, shared with ablations.mk's step-level pairs.
PAIR = $(IRPO) pair --max-pairs $(PAIRS) --seed $(SEED) \
	$(if $(judging),--strategy $(PAIR_STRATEGY) --min-gap $(MIN_GAP),$(if $(filter 1,$(GOLD)),--gold-winners))

# With REWARD=judge: the judge of iteration i's samples ($(call judge_of,i-1)), the file its
# scores land in, and the command.
judge_of = $(or $(JUDGE),$(call model_of,$(1)))
scored   = $(OUT)/$(if $(judging),judged,graded)-$(1).jsonl
JUDGE_GRADE = $(IRPO) grade --judge $(1) --judge-samples $(JUDGE_SAMPLES) --temperature $(JUDGE_TEMPERATURE) \
	--top-p $(JUDGE_TOP_P) --max-tokens $(JUDGE_MAX_TOKENS) --seed $(SEED) --threads $(THREADS) $(PROGRESS) \
	$(if $(JUDGE_TEMPLATE),--judge-template $(JUDGE_TEMPLATE))

# The reference of M(i) (i > 1) when it is not M(i-1).
ref_flags = $(if $(and $(filter init,$(REF)),$(filter-out 1,$(1))),--ref $(MODEL))

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
$(OUT)/judged-$(1).jsonl: $(OUT)/samples-$(1).jsonl $(call model_file,$(call judge_of,$(2))) $(OUT)/.vars/judge $(JUDGE_TEMPLATE)
	$(call JUDGE_GRADE,$(call judge_of,$(2))) $$< > $$@.tmp && mv $$@.tmp $$@
$(OUT)/pairs-$(1).jsonl: $(call scored,$(1)) $(OUT)/.vars/pair
	$(PAIR) $(if $(filter 1,$(STEP)),--step) $$< > $$@.tmp && mv $$@.tmp $$@
$(OUT)/m$(1)/config.json: $(OUT)/pairs-$(1).jsonl $(call model_file,$(call model_of,$(2))) $(OUT)/.vars/train \
		$(if $(call ref_flags,$(1)),$(call model_file,$(MODEL)))
	rm -rf $(OUT)/m$(1) $(OUT)/m$(1).state $(OUT)/train-$(1).jsonl
	$(IRPO) dpo-train --model $(call model_of,$(2)) --out $(OUT)/m$(1) $(call ref_flags,$(1)) --loss $(LOSS) \
	  --alpha $(ALPHA) --beta $(BETA) $(train_flags) --metrics $(OUT)/train-$(1).jsonl $(OUT)/pairs-$(1).jsonl
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
