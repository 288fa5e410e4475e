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
# mean in irpo.mk (SAMPLES per problem, TRAIN the problems, TRAIN_FLAGS more dpo-train flags),
# and their defaults are in pipelines/defaults.mk. The shards are made and merged as irpo.mk's
# are (pipelines/shards.mk).

PIPELINE ?= cluster
include $(addprefix $(dir $(lastword $(MAKEFILE_LIST))),bin.mk defaults.mk shards.mk)

# One shard's command; parallel and the Slurm array task put the shard's index for {}.
shard_command = $(IRPO) sample --model $(MODEL) -n $(SAMPLES) $(SAMPLE_FLAGS) $(call shard_run,{},$(TRAIN),$(SHARD_DIR)/{}.jsonl)

.PHONY: cluster-samples cluster-train

cluster-samples: $(SAMPLES_FILE)

# The shards, then the merge (shards.mk); a failed shard fails the rule and nothing is merged.
$(SAMPLES_FILE): $(TRAIN)
	rm -rf $(SHARD_DIR) && mkdir -p $(SHARD_DIR)
ifeq ($(SCHEDULER),parallel)
	parallel --will-cite --halt now,fail=1 --sshlogin '$(SSHLOGIN)' --workdir $(CURDIR) $(PARALLEL_FLAGS) \
		'$(shard_command)' ::: $(shard_ids)
else ifeq ($(SCHEDULER),slurm)
	sbatch --wait --array=0-$$(($(SHARDS) - 1)) $(SBATCH_FLAGS) $(PIPELINES)/array-task.sh '$(shard_command)'
else
	@echo "cluster.mk: SCHEDULER must be parallel or slurm, not $(SCHEDULER)" >&2; exit 64
endif
	$(call shard_merge,$(foreach i,$(shard_ids),$(SHARD_DIR)/$(i).jsonl),$@)
	rm -rf $(SHARD_DIR)

# Rank 0 writes NEXT, NEXT.state and the metrics; every rank reads MODEL and PAIRS_FILE.
cluster-train:
	$(MPIRUN) -n $(RANKS) $(MPI_BIN)/dpo-train --model $(MODEL) --out $(NEXT) $(TRAIN_FLAGS) $(PAIRS_FILE)
