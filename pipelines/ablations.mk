# The paper's Table 1 at this scale: from the same M0 and the same iteration-1 samples, train
# with other objectives and compare them with M1 (the IRPO model of irpo.mk).
#
#   make -f pipelines/ablations.mk MODEL=m0 TRAIN=train.jsonl TEST=test.jsonl [knobs of irpo.mk]
#
# Rows: M0; M1 (LOSS, ALPHA, BETA of irpo.mk); dpo (the same pairs, no NLL term: alpha = 0);
# sft (NLL on the chosen completions only); step (LOSS on step-level pairs: pair --step cuts
# chosen and rejected at their first differing line). Every other knob is shared with irpo.mk
# and the files land in the same OUT, so M0's evaluation and iteration 1 are made once.
# Prints ablations.txt and draws ablations.svg.
#
# VARIANTS picks the rows after M1; a variant v trains with FLAGS_v on pairs-1.jsonl, or on the
# step-level pairs when STEP_v = 1. sweep.mk adds its own variants this way.

PIPELINE ?= ablations
include $(dir $(lastword $(MAKEFILE_LIST)))irpo.mk

FLAGS_dpo  ?= --loss dpo --beta $(BETA)
FLAGS_sft  ?= --loss sft
FLAGS_step ?= --loss $(LOSS) --alpha $(ALPHA) --beta $(BETA)
STEP_step  ?= 1

.PHONY: ablations
.DEFAULT_GOAL := ablations

$(OUT)/pairs-1.step.jsonl: $(call scored,1) $(OUT)/.vars/pair
	$(PAIR) --step $< > $@.tmp && mv $@.tmp $@

# $(call variant,v)
define variant
$(eval $(call remember,v-$(1),$(FLAGS_$(1)) $(STEP_$(1))))
# Trained from M0 on iteration 1's pairs, so under make -j they run beside the iterations'
# training, which leaves the other core idle.
$(OUT)/v-$(1)/config.json: $(OUT)/pairs-1$(if $(filter 1,$(STEP_$(1))),.step).jsonl $(call model_file,$(MODEL)) \
		$(OUT)/.vars/train $(OUT)/.vars/v-$(1)
	rm -rf $(OUT)/v-$(1) $(OUT)/v-$(1).state
	$(IRPO) dpo-train --model $(MODEL) --out $(OUT)/v-$(1) $(train_flags) $(FLAGS_$(1)) \
	  --metrics $(OUT)/v-$(1).train.jsonl $$<
$(call evaluate,v-$(1),$(OUT)/v-$(1))
endef
$(foreach v,$(VARIANTS),$(eval $(call variant,$(v))))

rows := M0 M1 $(addprefix v-,$(VARIANTS))

$(OUT)/ablations.txt: $(foreach r,$(rows),$(OUT)/$(r).eval.json)
	$(call table,$(rows),ablations.svg,accuracy by training objective) > ablations.txt.tmp && mv ablations.txt.tmp ablations.txt

ablations: $(OUT)/ablations.txt
	@cat $<
	@echo "(plot: $(OUT)/ablations.svg)"
