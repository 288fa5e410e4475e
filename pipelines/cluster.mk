# pipelines/cluster.mk: one IRPO iteration beyond one machine. Sampling (most of the compute)
# runs as SHARDS shards of `sample --shard I/N`, through GNU parallel over SSH hosts or as a
# Slurm job array, merged back into the bytes one unsharded run writes; training runs as MPI
# ranks of a dpo-train built with IRPO_MPI=1 (make build-mpi). Grading and pairing are
# cheap and stay on one machine. Every host must see this directory at the same path (a
# shared filesystem, as clusters have): the shards read the model and problems from it and
# write their outputs to it.
#
#   make -f pipelines/cluster.mk cluster-samples  MODEL=m0 TRAIN=train.jsonl SAMPLES=30 \
#        SAMPLES_FILE=samples-1.jsonl SAMPLE_FLAGS='--temperature 0.8' SHARDS=8 SSHLOGIN=4/node1,4/node2
#   make -f pipelines/cluster.mk cluster-samples  ... SCHEDULER=slurm SBATCH_FLAGS='--partition=gpu --time=4:00:00'
#   irpo grade --task gsm8k < samples-1.jsonl | irpo pair --max-pairs 10 > pairs-1.jsonl
#   make -f pipelines/cluster.mk cluster-train    MODEL=m0 NEXT=m1 PAIRS_FILE=pairs-1.jsonl RANKS=4 \
#        MPIRUN='mpirun --hostfile hosts' TRAIN_FLAGS='--save-every 50'
#
# Other makefiles may include this one and set the variables first; the names mean what they
# mean in irpo.mk (SAMPLES per problem, TRAIN the problems, TRAIN_FLAGS more dpo-train flags).

include $(dir $(lastword $(MAKEFILE_LIST)))bin.mk
MPI_BIN             ?= .build-mpi/release

MODEL               ?= m0
TRAIN               ?= train.jsonl
SAMPLES_FILE        ?= samples.jsonl
# sample -n; the merge takes this many lines per problem from each shard in turn.
SAMPLES             ?= 1
SAMPLE_FLAGS        ?=
SHARDS              ?= 2
SHARD_DIR           ?= $(SAMPLES_FILE).shards
# parallel: GNU parallel over SSHLOGIN (its --sshlogin list; ":" is this machine, "2/node1"
# runs two shards at a time there); slurm: sbatch --array=0-(SHARDS-1) --wait.
SCHEDULER           ?= parallel
SSHLOGIN            ?= :
PARALLEL_FLAGS      ?=
SBATCH_FLAGS        ?=

NEXT                ?= m1
PAIRS_FILE          ?= pairs.jsonl
RANKS               ?= 2
# Under Slurm: MPIRUN='srun --mpi=pmix' with RANKS as -n.
MPIRUN              ?= mpirun
TRAIN_FLAGS         ?=

shard_indices := $(shell seq 0 $$(($(SHARDS) - 1)))
sample_command = $(IRPO) sample --model $(MODEL) -n $(SAMPLES) $(SAMPLE_FLAGS)
shard_command = $(PIPELINES)/sample-shard.sh $(SHARDS) $(TRAIN) $(SHARD_DIR) $(sample_command)

.PHONY: cluster-samples cluster-train

cluster-samples: $(SAMPLES_FILE)

# The shards, then the merge; a failed shard fails the rule and nothing is merged.
$(SAMPLES_FILE): $(TRAIN)
	rm -rf $(SHARD_DIR)
ifeq ($(SCHEDULER),parallel)
	parallel --will-cite --halt now,fail=1 --sshlogin '$(SSHLOGIN)' --workdir $(CURDIR) $(PARALLEL_FLAGS) \
		env SHARD_INDEX={} sh $(shard_command) ::: $(shard_indices)
else ifeq ($(SCHEDULER),slurm)
	sbatch --wait --array=0-$$(($(SHARDS) - 1)) $(SBATCH_FLAGS) $(shard_command)
else
	@echo "cluster.mk: SCHEDULER must be parallel or slurm, not $(SCHEDULER)" >&2; exit 64
endif
	LC_ALL=C awk -v per=$(SAMPLES) -f $(PIPELINES)/interleave.awk \
		$(foreach i,$(shard_indices),$(SHARD_DIR)/$(i).jsonl) > $@.tmp
	mv $@.tmp $@
	rm -rf $(SHARD_DIR)

# Rank 0 writes NEXT, NEXT.state and the metrics; every rank reads MODEL and PAIRS_FILE.
cluster-train:
	$(MPIRUN) -n $(RANKS) $(MPI_BIN)/dpo-train --model $(MODEL) --out $(NEXT) $(TRAIN_FLAGS) $(PAIRS_FILE)
