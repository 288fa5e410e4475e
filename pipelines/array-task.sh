#!/bin/sh
#SBATCH --job-name=irpo-sample
#SBATCH --output=irpo-sample-%A_%a.log
# One task of a Slurm job array (pipelines/cluster.mk's shards): runs COMMAND in a shell with
# each {} in it replaced by the task's index, as GNU parallel does for its jobs.
#
#   sbatch --array=0-(N-1) array-task.sh COMMAND
#
# The command's exit status is the task's, which sbatch --wait reports.
set -eu
if [ $# -ne 1 ]; then
    echo "usage: array-task.sh COMMAND" >&2
    exit 64
fi
i=${SLURM_ARRAY_TASK_ID:?"array-task.sh: run as a Slurm array task"}
exec sh -c "$(printf '%s\n' "$1" | sed "s/{}/$i/g")"
