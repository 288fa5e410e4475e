#if IRPO_MPI
import Foundation
import IRPOCore
import Testing

/// dpo-train under `mpirun -np 2` (built with IRPO_MPI=1) against the same flags in one process.
@Suite struct DPOTrainMPITests {
    /// mpirun on this machine: ranks on however few cores, as root too (containers, CI).
    static let launcher = "mpirun --oversubscribe" + (getuid() == 0 ? " --allow-run-as-root" : "")
    static let mpirun = launcher + " -np 2"
    static let flags = "--batch-size 4 --max-steps 5 --lr 1e-3 --clip 0.5 --seed 3"

    /// ‖a − b‖ / ‖b‖ over every weight.
    static func relativeDifference(_ a: String, _ b: String) throws -> Double {
        // Copied out while the weights that own the memory are alive.
        let values = { (dir: String) in
            let w = try CheckpointIO.load(dir).weights
            return withExtendedLifetime(w) { Array(w.buffer) }
        }
        let x = try values(a), y = try values(b)
        #expect(x.count == y.count)
        var d = 0.0, n = 0.0
        for (p, q) in zip(x, y) { d += Double(p - q) * Double(p - q); n += Double(q) * Double(q) }
        return (d / n).squareRoot()
    }

    @Test func twoRanksEndWithTheSingleProcessWeights() throws {
        let dir = try Shell.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let r = try Shell.run("""
        set -e
        \(DPOTrainFixture.makeM0)
        "$BIN/dpo-train" --model m0 --out one \(Self.flags) --metrics one.jsonl pairs.jsonl
        # Through pipelines/cluster.mk's recipe.
        make -s -f "\(ClusterPipelineTests.pipelines)/cluster.mk" cluster-train MPI_BIN="$BIN" MPIRUN="\(Self.launcher)" RANKS=2 \
            MODEL=m0 NEXT=two PAIRS_FILE=pairs.jsonl TRAIN_FLAGS="\(Self.flags) --metrics two.jsonl --progress"
        # Interrupted after step 2 and resumed, under mpirun both times.
        \(Self.mpirun) "$BIN/dpo-train" --model m0 --out three \(Self.flags) --stop-after 2 pairs.jsonl
        \(Self.mpirun) "$BIN/dpo-train" --model m0 --out three \(Self.flags) --resume pairs.jsonl
        wc -l < two.jsonl | tr -d ' '
        cp -r m0 one two three one.jsonl two.jsonl "\(dir)/"
        """, files: DPOTrainFixture.files)
        #expect(r.status == 0, "\(r.err)")
        #expect(r.out == "5\n", "rank 0 alone writes the metrics: \(r.out)")
        #expect(r.err.contains("pairs/s on 2 rank(s)"), "\(r.err)")

        let two = try Self.relativeDifference("\(dir)/two", "\(dir)/one")
        let resumed = try Self.relativeDifference("\(dir)/three", "\(dir)/one")
        print("mpirun -np 2: weights differ from one process by \(two), resumed run by \(resumed) (relative)")
        #expect(try Self.relativeDifference("\(dir)/one", "\(dir)/m0") > 1e-3, "the steps moved the weights")
        #expect(two < 1e-6)
        #expect(resumed < 1e-6)

        // The global loss and gradient norm, not rank 0's half. (Not rewards/accuracies: a
        // reward of 0 ± rounding counts either way, and the packing differs by rank count.)
        let metrics = { (name: String) in
            try String(contentsOfFile: "\(dir)/\(name)", encoding: .utf8).split(separator: "\n").map {
                try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
            }
        }
        for (a, b) in zip(try metrics("two.jsonl"), try metrics("one.jsonl")) {
            for key in ["loss", "grad_norm", "logps/chosen"] {
                let x = a[key] as! Double, y = b[key] as! Double
                #expect(abs(x - y) <= 1e-5 * max(abs(y), 1e-3), "\(key): \(x) with 2 ranks, \(y) alone")
            }
        }
    }

    @Test func aKilledRankStopsTheRunAndResumeFinishesIt() throws {
        let flags = "--batch-size 4 --max-steps 60 --save-every 10 --lr 1e-3 --seed 3"
        let dir = try Shell.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // Rank 1 is SIGKILLed as soon as the first state is saved, 50 steps before the end.
        let r = try Shell.run("""
            \(DPOTrainFixture.makeM0) || exit 9
            "$BIN/dpo-train" --model m0 --out one \(flags) pairs.jsonl || exit 9
            cat > rank.sh <<'EOF'
            #!/bin/sh
            "$BIN/dpo-train" "$@" & child=$!
            if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then
                while [ ! -e two.state ] && kill -0 $child 2>/dev/null; do sleep 0.02; done
                kill -9 $child
            fi
            wait $child
            EOF
            chmod +x rank.sh
            \(Self.mpirun) ./rank.sh --model m0 --out two \(flags) pairs.jsonl 2>/dev/null; echo "killed: status $?"
            test -e two || echo "no two"
            \(Self.mpirun) "$BIN/dpo-train" --model m0 --out two \(flags) --resume pairs.jsonl; echo "resumed: status $?"
            cp -r one two "\(dir)/"
            """, files: DPOTrainFixture.files)
        #expect(r.out.hasPrefix("killed: status ") && !r.out.hasPrefix("killed: status 0\n"), "\(r.out)")
        #expect(r.out.hasSuffix("no two\nresumed: status 0\n"), "\(r.out)\n\(r.err)")
        let difference = try Self.relativeDifference("\(dir)/two", "\(dir)/one")
        print("killed at the first save, resumed: weights differ from one process by \(difference) (relative)")
        #expect(difference < 1e-6)
    }

    @Test func ranksRefuseStandardInput() throws {
        let r = try Shell.run("""
        \(DPOTrainFixture.makeM0) || exit 9
        \(Self.mpirun) "$BIN/dpo-train" --model m0 --out x \(Self.flags) < pairs.jsonl; echo "status $?"
        test -e x && echo "x exists"
        """, files: DPOTrainFixture.files)
        #expect(r.out.hasPrefix("status ") && r.out != "status 0\n", "\(r.out)")
        #expect(!r.out.contains("x exists"))
        #expect(r.err.contains("the pairs must be files"), "\(r.err)")
    }

    @Test func aRankWithOtherDataStopsTheRun() throws {
        // Rank 1 reads a different file: the ranks notice before the first step, nothing is written.
        let r = try Shell.run("""
        \(DPOTrainFixture.makeM0) || exit 9
        head -n 11 pairs.jsonl > fewer.jsonl
        cat > pick.sh <<'EOF'
        #!/bin/sh
        if [ "$OMPI_COMM_WORLD_RANK" = 1 ]; then f=fewer.jsonl; else f=pairs.jsonl; fi
        exec "$BIN/dpo-train" --model m0 --out x \(Self.flags) "$f"
        EOF
        chmod +x pick.sh
        \(Self.mpirun) ./pick.sh; echo "status $?"
        test -e x && echo "x exists"
        """, files: DPOTrainFixture.files)
        #expect(r.out.hasPrefix("status ") && r.out != "status 0\n", "\(r.out)")
        #expect(!r.out.contains("x exists"))
        #expect(r.err.contains("the ranks hold different data"), "\(r.err)")
    }
}
#endif
