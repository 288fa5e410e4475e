import Foundation
import Testing

/// pipelines/cluster.mk's sampling on this machine: the shards through GNU parallel, and
/// through the Slurm recipe with a stand-in sbatch, merge into the unsharded run's bytes.
@Suite struct ClusterPipelineTests {
    static let pipelines = Shell.packageRoot.appendingPathComponent("pipelines").path

    /// Runs the array tasks here, one after another, as `sbatch --wait --array=A-B script args` would.
    static let fakeSbatch = """
        #!/bin/sh
        array= wait=
        while [ $# -gt 0 ]; do
            case $1 in --array=*) array=${1#--array=} ;; --wait) wait=1 ;; -*) ;; *) break ;; esac
            shift
        done
        [ -n "$wait" ] && [ -n "$array" ] || { echo "sbatch stand-in: needs --wait and --array" >&2; exit 2; }
        i=${array%-*}
        while [ "$i" -le "${array#*-}" ]; do SLURM_ARRAY_TASK_ID=$i sh "$@" || exit 1; i=$((i + 1)); done
        """

    @Test func shardsMergeIntoTheUnshardedBytes() throws {
        // Seven problems and a blank line (which sample skips without giving it an index).
        let problems = SampleFixture.problems(4) + "\n" + SampleFixture.problems(3).replacingOccurrences(of: "\"id\":\"q", with: "\"id\":\"r")
        let sampleFlags = "--template plain --temperature 1 --max-tokens 6"
        let make = """
            make -s -f "\(Self.pipelines)/cluster.mk" cluster-samples BIN="$BIN" MODEL="\(SampleFixture.modelDir)" \
            TRAIN=problems.jsonl SAMPLES=3 SAMPLE_FLAGS='\(sampleFlags)'
            """
        let r = try Shell.run("""
            set -e
            command -v parallel >/dev/null || { echo "GNU parallel is missing: make deps installs it" >&2; exit 9; }
            "$BIN/sample" --model "\(SampleFixture.modelDir)" -n 3 \(sampleFlags) problems.jsonl > one.jsonl
            \(make) SHARDS=2 SAMPLES_FILE=parallel.jsonl
            cmp one.jsonl parallel.jsonl && echo "parallel: same bytes"
            mkdir bin && cp sbatch bin/ && chmod +x bin/sbatch
            PATH="$PWD/bin:$PATH" \(make) SHARDS=3 SCHEDULER=slurm SAMPLES_FILE=slurm.jsonl
            cmp one.jsonl slurm.jsonl && echo "slurm: same bytes"
            ls
            wc -l < one.jsonl | tr -d ' '
            """, files: ["problems.jsonl": problems, "sbatch": Self.fakeSbatch])
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out == "parallel: same bytes\nslurm: same bytes\nbin\none.jsonl\nparallel.jsonl\nproblems.jsonl\nsbatch\nslurm.jsonl\n21\n",
                "the merged files, and nothing else, are left: \(r.out)\n\(r.err)")
    }

    @Test func aFailedShardLeavesNothingMerged() throws {
        // The fourth problem (shard 1 of 2) has no question: that shard's sample exits 1.
        let problems = SampleFixture.problems(3) + #"{"id":"bad"}"# + "\n"
        let r = try Shell.run("""
            make -s -f "\(Self.pipelines)/cluster.mk" cluster-samples BIN="$BIN" MODEL="\(SampleFixture.modelDir)" \
                TRAIN=problems.jsonl SAMPLES_FILE=out.jsonl SHARDS=2 SAMPLE_FLAGS='--template plain --max-tokens 4'
            echo "status $?"
            test -e out.jsonl || echo "no out.jsonl"
            """, files: ["problems.jsonl": problems])
        #expect(r.out == "status 2\nno out.jsonl\n", "\(r.out)\n\(r.err)")
        #expect(r.err.contains("sample: problems.jsonl:4: missing field"), "\(r.err)")
    }

    @Test func interleaveRefusesShardsThatDoNotFit() throws {
        let r = try Shell.run("""
            merge() { LC_ALL=C awk -v per="$1" -f "\(Self.pipelines)/interleave.awk" a b; echo "status $?"; }
            printf 'p0 1\\np0 2\\np2 1\\np2 2\\n' > a; printf 'p1 1\\np1 2\\n' > b
            merge 2
            merge 3
            printf 'p1 1\\np1 2\\np3 1\\np3 2\\np5 1\\np5 2\\n' > b
            merge 2
            """)
        #expect(r.out == "p0 1\np0 2\np1 1\np1 2\np2 1\np2 2\nstatus 0\np0 1\np0 2\np2 1\np1 1\np1 2\nstatus 1\n"
                + "p0 1\np0 2\np1 1\np1 2\np2 1\np2 2\np3 1\np3 2\nstatus 1\n", "\(r.out)")
        #expect(r.err.contains("b: ends inside the 3 lines of a problem"), "\(r.err)")
        #expect(r.err.contains("b: has lines after a ended"), "\(r.err)")
    }
}
