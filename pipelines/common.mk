# Shared by the pipelines that train and evaluate (irpo.mk and those built on it): the rules
# that sample, grade and evaluate a model on the test problems.
#
# Every knob is a variable (defaults.mk); the values a target was made with are remembered in
# $(OUT)/.vars/, so changing a knob remakes exactly the files that depend on it.

include $(addprefix $(dir $(lastword $(MAKEFILE_LIST))),bin.mk defaults.mk shards.mk)

# sample with the shared knobs; $(call sample_on,THREADS) for another thread count.
sample_on     = $(IRPO) sample --template $(TEMPLATE) $(if $(filter 1,$(CHAT)),--chat )--max-tokens $(MAX_TOKENS) --threads $(1) $(PROGRESS)
SAMPLE        = $(call sample_on,$(THREADS))
GRADE         = $(IRPO) grade --task $(TASK)

# The directory's config.json stands for a model directory in prerequisites; a bundle or a GGUF
# file is its own.
model_file = $(if $(filter %.tar %.tar.gz %.tgz %.gguf,$(1)),$(1),$(1)/config.json)

# A failing stage inside a pipe fails the rule.
SHELL      := /bin/bash
.SHELLFLAGS := -o pipefail -c

FORCE:
.PHONY: FORCE
.DELETE_ON_ERROR:

# $(call remember_at,FILE,VALUE): FILE holds VALUE and changes only when VALUE does, so a
# target that depends on FILE is remade when VALUE changes, and only then. It is written while
# make reads this file, not by a rule: a rule would count as remade on every run, and the
# merged-away sampling shards would be sampled again.
remember_at = $(shell mkdir -p $(dir $(1)) && { printf '%s\n' '$(2)' | cmp -s - $(1) || printf '%s\n' '$(2)' > $(1); })
# $(call remember,NAME,VALUE): the same for $(OUT)/.vars/NAME.
remember = $(call remember_at,$(OUT)/.vars/$(1),$(2))

# chat is remembered only when on, so the files of runs made before CHAT existed stay made.
$(eval $(call remember,eval,$(TEST) $(TASK) $(TEMPLATE) $(MAX_TOKENS) $(EVAL_TEMPERATURE) $(SEED) $(EVAL_SAMPLES)$(if $(filter 1,$(CHAT)), chat)))

# $(call evaluate,NAME,MODEL): NAME.greedy.jsonl (one greedy sample per test problem, graded),
# NAME.jsonl ($(EVAL_SAMPLES) samples at $(EVAL_TEMPERATURE), graded) and NAME.eval.json.
define evaluate
$(OUT)/$(1).greedy.jsonl: $(call model_file,$(2)) $(TEST) $(OUT)/.vars/eval
	$(SAMPLE) --model $(2) -n 1 --temperature 0 $(TEST) | $(GRADE) > $$@.tmp && mv $$@.tmp $$@
$(OUT)/$(1).jsonl: $(call model_file,$(2)) $(TEST) $(OUT)/.vars/eval
	$(SAMPLE) --model $(2) -n $(EVAL_SAMPLES) --temperature $(EVAL_TEMPERATURE) --seed $(SEED) $(TEST) \
	  | $(GRADE) > $$@.tmp && mv $$@.tmp $$@
$(OUT)/$(1).eval.json: $(OUT)/$(1).greedy.jsonl $(OUT)/$(1).jsonl
	$(IRPO) eval --json --k $(EVAL_SAMPLES) --greedy $(OUT)/$(1).greedy.jsonl $(OUT)/$(1).jsonl > $$@.tmp && mv $$@.tmp $$@
endef

# $(call table,NAMES,PLOT,WHAT[,FLAGS]): the rows NAME.jsonl with their greedy accuracy, as a
# table and a plot titled with the task, the test file and WHAT; FLAGS go to eval (--style line
# for the iterations: their rows are named by the model directories, not M0, M1, ...).
table = cd $(OUT) && $(abspath $(BIN))/irpo eval --k $(EVAL_SAMPLES) $(foreach n,$(1),--greedy $(n).greedy.jsonl) \
	--plot $(2) --title '$(TASK) $(notdir $(basename $(TEST))): $(3)' $(4) $(foreach n,$(1),$(n).jsonl)
