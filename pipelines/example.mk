# The bundled example task: data, M0, and the demo's IRPO run with its ablation.
#
#   make -f pipelines/example.mk demo [SEED=2]   iterations table, then the ablation table
#   make -f pipelines/example.mk data             the problems only
#   make -f pipelines/example.mk check-m0         rebuild examples/m0 from scratch and compare
#
# The problems are GSM8K-format arithmetic word problems from examples/generator
# (arith-problems), drawn from EXAMPLE_SEED: test.jsonl (500), dev.jsonl (300, held out of
# train for choosing settings), train.jsonl (8,000). M0 is trained on the gold solutions of
# the first 6,000 train problems; IRPO samples the next IRPO_PROBLEMS, which M0 has never seen.

# The example's settings are the paper's scaled down for make demo on 2 cores: the short "plain"
# prompt, 8 samples per problem, K = 4 pairs, maj@8, 2 iterations, and the alpha and learning
# rate sweep.mk chose on dev.jsonl (pipelines/defaults.mk says each one's why; PATHS picks
# arith-problems' --varied-order or --varied-steps solutions).

PIPELINE ?= example
include $(dir $(lastword $(MAKEFILE_LIST)))ablations.mk

DEV := $(DATA)/dev.jsonl

.PHONY: demo data m0 check-m0 check-m0-start
.DEFAULT_GOAL := demo

# The iteration table first, then the ablation's, whichever make -j finishes first.
demo: $(OUT)/table.txt $(OUT)/ablations.txt
	@cat $(OUT)/table.txt && echo "(plot: $(OUT)/iterations.svg)"
	@cat $(OUT)/ablations.txt && echo "(plot: $(OUT)/ablations.svg)"

data: $(TRAIN) $(TEST) $(DEV)

$(eval $(call remember_at,$(DATA)/.vars/problems,$(strip $(EXAMPLE_SEED) $(PATHS))))
$(eval $(call remember_at,$(DATA)/.vars/irpo-problems,$(IRPO_PROBLEMS)))

$(DATA)/test.jsonl $(DATA)/dev.jsonl $(DATA)/train.jsonl &: $(DATA)/.vars/problems
	$(IRPO) problems --seed $(EXAMPLE_SEED) $(PATHS) --out-dir $(DATA)
$(DATA)/irpo-train.jsonl: $(DATA)/train.jsonl $(DATA)/.vars/irpo-problems
	awk -v n=$(IRPO_PROBLEMS) 'NR > 6000 && NR <= 6000 + n' $< > $@.tmp && mv $@.tmp $@
# M0's supervised data: the gold solutions after the same prompt sample --template plain builds.
$(DATA)/m0-sft.jsonl: $(DATA)/train.jsonl
	head -n 6000 $< | jq -c '{id, prompt: ("Question: " + .question + "\nAnswer:\n"), completion: .answer}' \
	  > $@.tmp && mv $@.tmp $@

# M0 from scratch: a Llama of dim 128, 4 layers, ffn 384 (0.9M parameters), byte-level tokens,
# trained on gold solutions with a 2,000-step cosine schedule and stopped after M0_STEPS steps
# (low enough on test to leave room, high enough that samples are sometimes right; its accuracy
# is in docs/results.md). examples/m0 is that model and examples/m0.metrics.jsonl its per-step
# metrics. Training is bit-reproducible at any thread count, so check-m0 rebuilds it byte for
# byte (a whole M0 training), and check-m0-start replays its first M0_CHECK_STEPS steps and
# compares the losses and gradient norms with the shipped metrics (a test runs that one).
M0_FLAGS        = --init $(EXAMPLES)m0-config.json --tokenizer $(EXAMPLES)tokenizer.json --loss sft --lr 1e-3 \
	--batch-size 32 --max-steps 2000 --warmup 100 --schedule cosine --seed 1 --threads $(THREADS) $(PROGRESS)
m0_fields       = jq -c '[.step, .loss, .grad_norm, .learning_rate, ."logps/chosen"]'

m0: $(M0_OUT)/config.json
$(M0_OUT)/config.json: $(DATA)/m0-sft.jsonl $(EXAMPLES)m0-config.json $(EXAMPLES)tokenizer.json
	rm -rf $(M0_OUT) $(M0_OUT).run.state $(M0_OUT).metrics.jsonl
	$(IRPO) dpo-train $(M0_FLAGS) --stop-after $(M0_STEPS) --out $(M0_OUT).run --metrics $(M0_OUT).metrics.jsonl $<
	mkdir -p $(M0_OUT).tmp
	cp $(M0_OUT).run.state/config.json $(M0_OUT).run.state/model.safetensors $(M0_OUT).run.state/tokenizer.json $(M0_OUT).tmp/
	mv $(M0_OUT).tmp $(M0_OUT) && rm -rf $(M0_OUT).run.state

check-m0: $(M0_OUT)/config.json
	cmp $(M0_OUT)/model.safetensors $(EXAMPLES)m0/model.safetensors
	$(m0_fields) $(M0_OUT).metrics.jsonl | cmp - <($(m0_fields) $(EXAMPLES)m0.metrics.jsonl)
	@echo "$(M0_OUT) is examples/m0, byte for byte"

check-m0-start: $(DATA)/m0-sft.jsonl
	rm -rf $(M0_OUT)-start $(M0_OUT)-start.state $(M0_OUT)-start.metrics.jsonl
	$(IRPO) dpo-train $(M0_FLAGS) --stop-after $(M0_CHECK_STEPS) --out $(M0_OUT)-start \
	  --metrics $(M0_OUT)-start.metrics.jsonl $<
	$(m0_fields) $(M0_OUT)-start.metrics.jsonl | cmp - <(head -n $(M0_CHECK_STEPS) $(EXAMPLES)m0.metrics.jsonl | $(m0_fields))
	@echo "the first $(M0_CHECK_STEPS) steps of the M0 recipe match examples/m0.metrics.jsonl"
