# IRPO on real GSM8K with a pretrained instruct model: irpo.mk with the model's chat template,
# the paper's prompt (asking for "Final answer: ..."), GSM8K subsets, and every evaluation graded
# twice, strictly and with grade --flexible.
#
#   make -f pipelines/gsm8k.mk MODEL=DIR|FILE.gguf [TRAIN_PROBLEMS=100] [TEST_PROBLEMS=100] [-j2]
#
# MODEL is an HF checkpoint directory or a GGUF file with a chat template (sample --chat). TRAIN
# and TEST are the first TRAIN_PROBLEMS and TEST_PROBLEMS records of GSM8K_DATA's train.jsonl and
# test.jsonl (data/gsm8k), written to OUT (runs/gsm8k); set TRAIN or TEST to use other files.
# Besides irpo.mk's files, Mi.greedy.flexible.jsonl and Mi.flexible.jsonl hold the same samples
# graded with --flexible (the last number of a solution counts when no answer is marked), and
# the report prints the strict table (table.txt) above the flexible one (flexible.txt).
#
# Defaults sized for a 135M model on 2 cores in about an hour (pipelines/defaults.mk): one
# iteration, 8 samples per train problem, 2 pairs per problem, 256 tokens, 8 evaluation samples
# (greedy, maj@8, pass@8), the paper's learning rate 1e-6.

PIPELINE ?= gsm8k
include $(dir $(lastword $(MAKEFILE_LIST)))irpo.mk

.PHONY: report
.DEFAULT_GOAL := report

$(eval $(call remember,subsets,$(GSM8K_DATA) $(TRAIN_PROBLEMS) $(TEST_PROBLEMS)))

# The subsets, the first records of each split, so that a larger subset contains a smaller one.
$(OUT)/gsm8k-%.jsonl: $(GSM8K_DATA)/%.jsonl $(OUT)/.vars/subsets
	head -n $(if $(filter train,$*),$(TRAIN_PROBLEMS),$(TEST_PROBLEMS)) $< > $@.tmp && mv $@.tmp $@

# The same samples graded again with --flexible; grade replaces the strict fields it wrote.
$(OUT)/%.flexible.jsonl: $(OUT)/%.jsonl
	$(GRADE) --flexible --quiet $< > $@.tmp && mv $@.tmp $@

$(OUT)/flexible.txt: $(foreach m,$(models),$(OUT)/$(m).flexible.jsonl $(OUT)/$(m).greedy.flexible.jsonl)
	cd $(OUT) && $(abspath $(BIN))/irpo eval --k $(EVAL_SAMPLES) $(foreach m,$(models),--greedy $(m).greedy.flexible.jsonl) \
	  $(foreach m,$(models),$(m).flexible.jsonl) > flexible.txt.tmp && mv flexible.txt.tmp flexible.txt

report: $(OUT)/table.txt $(OUT)/flexible.txt
	@echo 'strict (the answer after "Final answer:" or "####"):'
	@cat $(OUT)/table.txt
	@echo
	@echo 'flexible (grade --flexible: else the last number):'
	@cat $(OUT)/flexible.txt
	@echo "(plot: $(OUT)/iterations.svg)"
