# One sampling run in SHARDS shards (sample --shard I/N), merged back into the bytes one
# unsharded run writes: irpo.mk runs the shards as make jobs, cluster.mk through GNU parallel or
# a Slurm job array. Shard I holds problems I, I+SHARDS, ...: interleave.awk takes SAMPLES lines
# from each shard in turn, which restores the input order.

shard_ids := $(shell seq 0 $$(($(SHARDS) - 1)))

# $(call shard_run,I,PROBLEMS,FILE): what follows a sample command to make it shard I of PROBLEMS,
# written to FILE beside and renamed, so FILE is whole or absent.
shard_run = --shard $(1)/$(SHARDS) $(2) > $(3).tmp && mv $(3).tmp $(3)

# $(call shard_merge,SHARD FILES,FILE): the shards, all of them and in order, merged into FILE;
# a shard that does not fit the others is an error and FILE is not written.
shard_merge = LC_ALL=C awk -v per=$(SAMPLES) -f $(PIPELINES)/interleave.awk $(1) > $(2).tmp && mv $(2).tmp $(2)
