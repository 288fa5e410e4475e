# Every knob of the pipelines, each with its default set here and nowhere else.
#
# A pipeline names itself in PIPELINE before it includes the others: irpo (irpo.mk), ablations,
# example, sweep, gsm8k or cluster. Where the commands are (BIN, MPI_BIN) is bin.mk's. The defaults are the paper's (Pang et al. 2024, GSM8K); the bundled
# example (example.mk, and sweep.mk on top of it) scales them down so that make demo runs on 2
# cores, and each line says where a pipeline departs from the paper and why. A value given on
# the command line, in the environment or by a makefile that sets it before including a pipeline
# wins over these.

# $(call in,NAMES): non-empty when this pipeline is one of NAMES.
in = $(filter $(1),$(PIPELINE))

# --- what to start from, what to train on, where results go ---

# The starting checkpoint M0: no sensible default but the example's own model (and the m0 of
# cluster.mk's usage lines).
MODEL ?= $(if $(call in,example sweep),$(EXAMPLES)m0,$(if $(call in,cluster),m0,$(error set MODEL to the starting checkpoint M0)))
# The training problems (JSONL with gold answers): the example's are the train problems M0 never
# saw; gsm8k.mk's the first TRAIN_PROBLEMS of GSM8K's train split.
TRAIN ?= $(if $(call in,example sweep),$(DATA)/irpo-train.jsonl,$(if $(call in,cluster),train.jsonl,$(if $(call in,gsm8k),$(OUT)/gsm8k-train.jsonl,$(error set TRAIN to the training problems (JSONL with gold answers)))))
# The test problems: the sweep chooses settings, so it is scored on dev, never on test; gsm8k.mk's
# are the first TEST_PROBLEMS of GSM8K's test split.
TEST ?= $(if $(call in,sweep),$(DATA)/dev.jsonl,$(if $(call in,example),$(DATA)/test.jsonl,$(if $(call in,gsm8k),$(OUT)/gsm8k-test.jsonl,$(error set TEST to the test problems (JSONL)))))
# Where every file of a run lands: one folder per seed for the example, so seeds sit side by side.
OUT ?= $(if $(call in,sweep),runs/example/sweep,$(if $(call in,example),runs/example/seed-$(SEED),$(if $(call in,gsm8k),runs/gsm8k,runs/irpo)))
# The task's answer format for grade.
TASK ?= gsm8k
# The seed of sampling, pairing and shuffling: the same seed gives the same bytes.
SEED ?= 1

# --- one iteration ---

# IRPO iterations: 3 (the paper runs 4); ablations.mk needs only iteration 1's samples; the
# example runs 2, for make demo's time; gsm8k.mk one, for an hour on 2 cores.
ITERS ?= $(if $(call in,ablations gsm8k),1,$(if $(call in,example sweep),2,3))
# Samples per training problem: the paper's 30; the example's and gsm8k.mk's 8 for time;
# cluster.mk samples once per problem unless asked.
SAMPLES ?= $(if $(call in,example sweep gsm8k),8,$(if $(call in,cluster),1,30))
# The sampling temperature, the paper's.
TEMPERATURE ?= 0.8
# The prompt template: the paper's GSM8K prompt; the example's model was trained on the short plain one.
TEMPLATE ?= $(if $(call in,example sweep),plain,gsm8k)
# The longest completion: room for GSM8K solutions; the example's solutions are short; gsm8k.mk's
# 256 holds most of a small model's solutions that end at all, for time.
MAX_TOKENS ?= $(if $(call in,example sweep),96,$(if $(call in,gsm8k),256,512))
# Prompts through the model's chat template (sample --chat, 1), as an instruct model expects, or
# the template's text as it is (0): gsm8k.mk's models are instruct models.
CHAT ?= $(if $(call in,gsm8k),1,0)
# Sampling runs as SHARDS processes (sample --shard I/N); make -j2 runs two side by side.
SHARDS ?= 2
# Pairs per problem (K): the paper's 10; the example's 4, scaled down with its samples; gsm8k.mk's
# 2, so that one iteration's training fits its hour.
PAIRS ?= $(if $(call in,example sweep),4,$(if $(call in,gsm8k),2,10))
# The gold solution among the winners (1), as the paper does for GSM8K, or not (0).
GOLD ?= 1
# Step-level pairs (pair --step) instead of whole solutions (1), or not (0).
STEP ?= 0
# What decides the pairs (irpo.mk): gold, each sample graded against TRAIN's gold answer and
# correct paired over wrong (the IRPO paper); or judge, each sample scored by a judge model with
# the Self-Rewarding LMs prompt (grade --judge) and paired by score (pair --strategy).
REWARD ?= gold
# The objective: DPO plus the length-normalised NLL term; plain DPO when a judge rewards, as in
# the self-rewarding loop (Yuan et al. 2024).
LOSS ?= $(if $(filter judge,$(REWARD)),dpo,irpo)
# The NLL weight alpha: the paper's 1. The example's 10 is what sweep.mk chose on dev: at 1 the
# DPO term outweighs the NLL term about five to one per token and M1 falls below M0. The sweep
# itself keeps 1 for its M1, the row its variants are compared with.
ALPHA ?= $(if $(call in,example),10,1)
# The DPO temperature beta, the paper's.
BETA ?= 0.1
# The learning rate: the paper's 1e-6 (for a 70B model; at 1e-5 gsm8k.mk's 135M model lost its
# greedy accuracy, docs/results.md); the example's 1e-4 is the sweep's, for 0.9M.
LR ?= $(if $(call in,example sweep),1e-4,1e-6)
# Pairs per optimizer step, the paper's.
BATCH ?= 16
# Passes over an iteration's pairs, the paper's.
EPOCHS ?= 1
# Warm-up steps and the schedule: the paper's constant rate.
WARMUP ?= 0
SCHEDULE ?= constant
# Anything else for dpo-train (e.g. --max-steps 100 --weight-decay 0.01).
TRAIN_FLAGS ?=
# The reference M(i) is trained against: prev, M(i-1), the paper's (it is also M(i)'s starting
# point); init, M0 in every iteration, as many users keep it.
REF ?= prev

# --- the judge, with REWARD=judge ---

# The judge: empty is the model being trained, M(i-1) scoring its own samples (the
# self-rewarding loop); a model's path is a fixed judge.
JUDGE ?=
# Judgements per sample, their scores averaged: the paper's 3.
JUDGE_SAMPLES ?= 3
# The judge's sampling, the paper's: temperature 0.7, top-p 0.9.
JUDGE_TEMPERATURE ?= 0.7
JUDGE_TOP_P ?= 0.9
# The longest judgement: the prompt asks for up to 100 words, then the score.
JUDGE_MAX_TOKENS ?= 256
# A file that replaces the built-in judge prompt (grade --judge-template), for judges whose
# context the paper's prompt does not fit; empty for the paper's.
JUDGE_TEMPLATE ?=
# The pair rule: best-worst, the paper's; gap, RS-DPO's, every two samples further apart than
# MIN_GAP (at most PAIRS of them).
PAIR_STRATEGY ?= best-worst
# The score gap a pair must exceed: 0 keeps any two unequal scores.
MIN_GAP ?= 0

# --- evaluation ---

# Samples per test problem for maj@k: the paper's maj@32; the example's and gsm8k.mk's 8, and the
# sweep's 4 on dev, for time.
EVAL_SAMPLES ?= $(if $(call in,sweep),4,$(if $(call in,example gsm8k),8,32))
# The temperature of those samples, the training samples' by default, as in the paper.
EVAL_TEMPERATURE ?= $(TEMPERATURE)

# --- running ---

# Threads per command: 0 is every core.
THREADS ?= 0
# --progress, to see sample and dpo-train progress on standard error inside make.
PROGRESS ?=

# --- the ablation rows (ablations.mk, example.mk, sweep.mk) ---

# The rows after M1: the paper's Table 1 alternatives and step-controlled pairs (scdpo); make
# demo leaves out step-level and step-controlled pairs for time; the sweep's rows are its SWEEP.
VARIANTS ?= $(if $(call in,sweep),$(SWEEP),$(if $(call in,example),dpo sft,dpo sft step scdpo))
# The scdpo row: continuations per cut correct solution, and their temperature, above the
# training samples' so that more of them go wrong after the kept lines.
SCDPO_SAMPLES ?= 4
SCDPO_TEMPERATURE ?= 1.0
# The variants the sweep trains (sweep.mk defines them), the rows of docs/results.md's table.
SWEEP ?= sft a10 a30 step10

# --- the bundled example (example.mk) ---

# The seed of the problem generator, and where the problems are written.
EXAMPLE_SEED ?= 1
DATA ?= runs/example/data
# Train problems IRPO samples, from past the 6,000 M0 was trained on.
IRPO_PROBLEMS ?= 1000
# arith-problems' path flags, none by default: gold solutions follow the question's order.
# --varied-order or --varied-steps write other correct paths (docs/results.md, majority voting).
PATHS ?=
# Where check-m0 rebuilds M0, the step it stops at (the shipped model's), and how many steps
# check-m0-start replays against the shipped metrics.
M0_OUT ?= runs/example/m0
M0_STEPS ?= 1000
M0_CHECK_STEPS ?= 2

# --- real GSM8K (gsm8k.mk) ---

# Where GSM8K's train.jsonl and test.jsonl are, and how many of each (from the top) a run uses.
GSM8K_DATA ?= $(ROOT)data/gsm8k
TRAIN_PROBLEMS ?= 100
TEST_PROBLEMS ?= 100

# --- beyond one machine (cluster.mk) ---

# The merged samples, and the shards' folder beside it.
SAMPLES_FILE ?= samples.jsonl
SHARD_DIR ?= $(SAMPLES_FILE).shards
# More sample flags (--temperature, --template, ...): cluster.mk passes nothing else.
SAMPLE_FLAGS ?=
# parallel: GNU parallel over SSHLOGIN (its --sshlogin list; ":" is this machine, "2/node1"
# runs two shards at a time there); slurm: sbatch --array=0-(SHARDS-1) --wait.
SCHEDULER ?= parallel
SSHLOGIN ?= :
PARALLEL_FLAGS ?=
SBATCH_FLAGS ?=
# The model cluster-train writes, from PAIRS_FILE, over RANKS MPI ranks.
NEXT ?= m1
PAIRS_FILE ?= pairs.jsonl
RANKS ?= 2
# Under Slurm: MPIRUN='srun --mpi=pmix' with RANKS as -n.
MPIRUN ?= mpirun
