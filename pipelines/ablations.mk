# The paper's Table 1 at this scale: from the same M0 and the same iteration-1 samples, train
# with other objectives and compare them with M1 (the IRPO model of irpo.mk).
#
#   make -f pipelines/ablations.mk MODEL=m0 TRAIN=train.jsonl TEST=test.jsonl [knobs of irpo.mk]
#
# Rows: M0; M1 (LOSS, ALPHA, BETA of irpo.mk); dpo (the same pairs, no NLL term: alpha = 0);
# sft (NLL on the chosen completions only); step (LOSS on step-level pairs: pair --step cuts
# chosen and rejected at their first differing line); scdpo (LOSS on step-controlled pairs,
# below). Every other knob is shared with irpo.mk and the files land in the same OUT, so M0's
# evaluation and iteration 1 are made once. Prints ablations.txt and draws ablations.svg.
#
# VARIANTS picks the rows after M1; a variant v trains with FLAGS_v on pairs-1.jsonl, on the
# step-level pairs when STEP_v = 1, or on the file PAIRS_v names; with BUDGET_v = m1 it takes as
# many optimizer steps as M1 took on pairs-1.jsonl (dpo-train --max-steps, the pairs wrapping
# around or left over), so a row with more or fewer pairs sees as many pairs as M1. sweep.mk
# adds its own variants this way.
#
# scdpo, step-controlled negatives (Lu et al. 2024): every distinct correct iteration-1 sample,
# and the gold solution when GOLD = 1, is cut after a random number k of its lines (pair
# --prefixes --random-step), M0 continues each cut SCDPO_SAMPLES times at SCDPO_TEMPERATURE
# (continued-1.jsonl, graded), and up to PAIRS wrong continuations per problem are paired against
# the solution they continue (pair --continuations), so chosen and rejected share their first k
# lines and the rejected one goes wrong after them. Its budget is M1's (BUDGET_scdpo = m1).

PIPELINE ?= ablations
include $(dir $(lastword $(MAKEFILE_LIST)))irpo.mk

FLAGS_dpo  ?= --loss dpo --beta $(BETA)
FLAGS_sft  ?= --loss sft
FLAGS_step ?= --loss $(LOSS) --alpha $(ALPHA) --beta $(BETA)
STEP_step  ?= 1
FLAGS_scdpo  ?= --loss $(LOSS) --alpha $(ALPHA) --beta $(BETA)
PAIRS_scdpo  ?= $(OUT)/pairs-1.scdpo.jsonl
BUDGET_scdpo ?= m1

.PHONY: ablations
.DEFAULT_GOAL := ablations

$(OUT)/pairs-1.step.jsonl: $(call scored,1) $(OUT)/.vars/pair
	$(PAIR) --step $< > $@.tmp && mv $@.tmp $@

# The step-controlled pairs of the scdpo row.
$(eval $(call remember,scdpo,$(SCDPO_SAMPLES) $(SCDPO_TEMPERATURE)))
$(OUT)/prefixes-1.jsonl: $(OUT)/graded-1.jsonl $(OUT)/.vars/pair
	$(PAIR) --prefixes --random-step $< > $@.tmp && mv $@.tmp $@
$(OUT)/continued-1.jsonl: $(OUT)/prefixes-1.jsonl $(call model_file,$(MODEL)) $(OUT)/.vars/sample $(OUT)/.vars/scdpo
	$(SAMPLE) --model $(MODEL) -n $(SCDPO_SAMPLES) --temperature $(SCDPO_TEMPERATURE) --seed $(SEED) $< \
	  | $(GRADE) > $@.tmp && mv $@.tmp $@
$(OUT)/pairs-1.scdpo.jsonl: $(OUT)/continued-1.jsonl $(OUT)/.vars/pair
	$(PAIR) --continuations $(if $(filter 1,$(STEP)),--step) $< > $@.tmp && mv $@.tmp $@

# M1's optimizer steps, for BUDGET_v = m1: pairs-1.jsonl in batches of BATCH, EPOCHS times.
m1_steps = $$(( ($$(wc -l < $(OUT)/pairs-1.jsonl) + $(BATCH) - 1) / $(BATCH) * $(EPOCHS) ))

# $(call variant,v)
define variant
$(eval $(call remember,v-$(1),$(FLAGS_$(1)) $(STEP_$(1))$(if $(PAIRS_$(1))$(BUDGET_$(1)), $(PAIRS_$(1)) $(BUDGET_$(1)))))
# Trained from M0 on iteration 1's pairs, so under make -j they run beside the iterations'
# training, which leaves the other core idle.
$(OUT)/v-$(1)/config.json: $(or $(PAIRS_$(1)),$(OUT)/pairs-1$(if $(filter 1,$(STEP_$(1))),.step).jsonl) \
		$(if $(filter m1,$(BUDGET_$(1))),$(OUT)/pairs-1.jsonl) $(call model_file,$(MODEL)) \
		$(OUT)/.vars/train $(OUT)/.vars/v-$(1)
	rm -rf $(OUT)/v-$(1) $(OUT)/v-$(1).state
	$(IRPO) dpo-train --model $(MODEL) --out $(OUT)/v-$(1) $(train_flags) $(FLAGS_$(1)) \
	  $(if $(filter m1,$(BUDGET_$(1))),--max-steps $$(m1_steps)) --metrics $(OUT)/v-$(1).train.jsonl $$<
$(call evaluate,v-$(1),$(OUT)/v-$(1))
endef
$(foreach v,$(VARIANTS),$(eval $(call variant,$(v))))

rows := M0 M1 $(addprefix v-,$(VARIANTS))

$(OUT)/ablations.txt: $(foreach r,$(rows),$(OUT)/$(r).eval.json)
	$(call table,$(rows),ablations.svg,accuracy by training objective) > ablations.txt.tmp && mv ablations.txt.tmp ablations.txt

ablations: $(OUT)/ablations.txt
	@cat $<
	@echo "(plot: $(OUT)/ablations.svg)"
