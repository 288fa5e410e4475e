#!/bin/sh
#SBATCH --job-name=irpo-sample
#SBATCH --output=irpo-sample-%A_%a.log
# One shard of `sample`, for GNU parallel and Slurm job arrays (pipelines/cluster.mk):
#
#   sample-shard.sh N PROBLEMS DIR SAMPLE-COMMAND [OPTIONS...]
#
# runs SAMPLE-COMMAND OPTIONS --shard I/N PROBLEMS > DIR/I.jsonl, with I from $SHARD_INDEX
# (set by the GNU parallel recipe) or else $SLURM_ARRAY_TASK_ID (sbatch --array=0-(N-1)).
# The shard is written beside and renamed, so DIR/I.jsonl is whole or absent; a failed
# sample leaves the exit status that makes parallel or sbatch --wait report it.
set -eu
if [ $# -lt 4 ]; then
    echo "usage: sample-shard.sh N PROBLEMS DIR SAMPLE-COMMAND [OPTIONS...]" >&2
    exit 64
fi
n=$1 problems=$2 dir=$3
shift 3
i=${SHARD_INDEX:-${SLURM_ARRAY_TASK_ID:?"sample-shard.sh: set SHARD_INDEX, or run as a Slurm array task"}}
mkdir -p "$dir"
"$@" --shard "$i/$n" "$problems" > "$dir/$i.jsonl.tmp"
mv "$dir/$i.jsonl.tmp" "$dir/$i.jsonl"
