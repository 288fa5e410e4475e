import Foundation
import Testing
import IRPOCore

/// dpo-train run as a binary: M0 from scratch, a DPO step in a pipe, bad input, resume, help.
@Suite struct DPOTrainCLITests {
    @Test func trainsM0FromScratchThenPairsFromAPipe() throws {
        let r = try Shell.run("""
        set -e
        \(DPOTrainFixture.makeM0)
        test -f m0/model.safetensors -a -f m0/tokenizer.json -a -f m0/config.json
        cat pairs.jsonl | "$BIN/dpo-train" --model m0 --out m1.tar.gz --batch-size 4 --epochs 2 --lr 1e-3 --metrics metrics.jsonl
        test -f m1.tar.gz
        wc -l < metrics.jsonl | tr -d ' '
        head -n 1 metrics.jsonl
        """, files: DPOTrainFixture.files)
        #expect(r.status == 0, "\(r.err)")
        #expect(r.err == "")
        let lines = r.out.split(separator: "\n")
        #expect(lines.first == "6")
        for key in ["\"step\":1", "\"loss\":", "\"nll\":", "\"rewards/chosen\":", "\"rewards/rejected\":", "\"rewards/margins\":",
                    "\"rewards/accuracies\":0", "\"logps/chosen\":", "\"logps/rejected\":", "\"grad_norm\":", "\"learning_rate\":0.001",
                    "\"tokens_per_second\":"] {
            #expect(r.out.contains(key), "metrics lack \(key): \(r.out)")
        }
        // The first step's policy is its reference: DPO's part is log 2 and every reward 0.
        #expect(r.out.contains("\"rewards/chosen\":0.0,\"rewards/rejected\":0.0"))
    }

    /// The trained model is the same bytes on every kernel path, and --progress names the CPU,
    /// the kernel path and the threads before anything else.
    @Test func sameModelOnEveryKernelPathAndTheMachineLineSaysWhich() throws {
        let runs = KernelPath.available.map { path in
            """
            IRPO_SIMD=\(path.rawValue) "$BIN/dpo-train" --model m0 --out \(path.rawValue) --batch-size 4 --max-steps 2 --lr 1e-3 \
              --threads 2 --progress pairs.jsonl 2> \(path.rawValue).err
            cksum < \(path.rawValue)/model.safetensors; head -n 1 \(path.rawValue).err
            """
        }
        let r = try Shell.run("set -e\n\(DPOTrainFixture.makeM0)\n" + runs.joined(separator: "\n"), files: DPOTrainFixture.files)
        #expect(r.status == 0, "\(r.err)")
        let lines = r.out.split(separator: "\n").map(String.init)
        #expect(lines.count == 2 * KernelPath.available.count, "\(r.out)")
        for (i, path) in KernelPath.available.enumerated() where 2 * i + 1 < lines.count {
            #expect(lines[2 * i] == lines[0], "\(path) wrote another model")
            let first = lines[2 * i + 1]
            #expect(first.hasPrefix("dpo-train: cpu: ") && first.contains("; kernels: \(path.rawValue) (IRPO_SIMD=\(path.rawValue))")
                    && first.hasSuffix("; threads: 2"), "\(first)")
        }
    }

    @Test func theModelsDefaultsTravelToTheTrainedModel() throws {
        let r = try Shell.run("""
            set -e
            \(DPOTrainFixture.makeM0)
            echo '{"template": "plain", "max_tokens": 7}' > m0/irpo.json
            "$BIN/dpo-train" --model m0 --out m1 --batch-size 4 --max-steps 1 --lr 1e-3 pairs.jsonl
            cmp m0/irpo.json m1/irpo.json && echo carried
            """, files: DPOTrainFixture.files)
        #expect(r.out == "carried\n", "\(r.out)\(r.err)")
    }

    /// --progress says what the run is doing from the start, each step with its time, where a
    /// resumed run starts, and the total time; a run ended by a signal says what it saved.
    @Test func progressSaysWhatTheRunIsDoingAndWhatASignalLeft() throws {
        let flags = "--model m0 --batch-size 2 --lr 1e-3 --seed 2 --progress"
        let r = try Shell.run("""
            set -e
            \(DPOTrainFixture.makeM0)
            "$BIN/dpo-train" \(flags) --max-steps 6 --save-every 2 --stop-after 4 --out b pairs.jsonl 2> first.err
            "$BIN/dpo-train" \(flags) --max-steps 6 --save-every 2 --resume --out b pairs.jsonl 2> second.err
            cat first.err second.err | sed -E 's/-?[0-9]+([.][0-9]+)?(e-?[0-9]+)?/N/g'
            "$BIN/dpo-train" \(flags) --max-steps 100000 --save-every 1 --out c pairs.jsonl 2> third.err &
            while [ ! -e c.state ]; do sleep 0.1; done
            kill -TERM $!; wait $! || true
            tail -n 1 third.err
            """, files: DPOTrainFixture.files)
        #expect(r.status == 0, "\(r.err)")
        let lines = r.out.split(separator: "\n").map(String.init)
        for expected in ["dpo-train: reading and tokenising pairs.jsonl", "dpo-train: N pairs, N steps of N; reference log-probs first",
                         "dpo-train: reference log-probs done (Ns)", "dpo-train: step N/N  loss N  nll N  margin N  acc N  |g| N",
                         "dpo-train: stopped after step N (Ns); resume with --resume", "dpo-train: resuming from step N of N",
                         "dpo-train: N pairs, N steps, N pairs/s on N rank(s) of N thr"] {
            #expect(lines.contains { $0.hasPrefix(expected) }, "no line \(expected) in\n\(r.out)")
        }
        #expect(r.out.contains("  elapsed ") && r.out.contains("  eta "), "\(r.out)")
        let last = lines.last ?? ""
        let parts = last.split(separator: " ")
        let atStep = parts.count > 4 ? Int(parts[4].dropLast()) : nil, savedStep = parts.count > 8 ? Int(parts[8]) : nil
        #expect(last.hasPrefix("dpo-train: interrupted at step ") && last.hasSuffix(" saved in c.state; run again with --resume")
                && atStep != nil && savedStep != nil && savedStep! < atStep!, "\(last)")
    }

    /// Where the model and metrics go is checked before any work, so a mistake costs no training.
    @Test func outputsAreCheckedBeforeTraining() throws {
        let train = #""$BIN/dpo-train" --model m0 --batch-size 4 --max-steps 1 --lr 1e-3"#
        let r = try Shell.run("""
            \(DPOTrainFixture.makeM0)
            mkdir notes && echo x > notes/a.txt
            \(train) --out m0 pairs.jsonl 2>&1; echo "same $?"
            \(train) --out ./m0/ pairs.jsonl > /dev/null 2>&1; echo "same spelled otherwise $?"
            \(train) --out notes pairs.jsonl 2>&1; echo "not a model $?"
            \(train) --out m1 --metrics no/such/dir/m.jsonl pairs.jsonl 2>&1; echo "metrics $?"
            test -e m1 || echo "no m1"
            \(train) --out m1 pairs.jsonl && echo "first $?"
            \(train) --out m1 --metrics m.jsonl pairs.jsonl 2>&1; echo "exists $?"
            test -e m.jsonl || echo "no metrics written"
            \(train) --out m1 --overwrite pairs.jsonl && echo "overwrite $?"
            """, files: DPOTrainFixture.files)
        #expect(r.out == """
            dpo-train: m0: is also the model being read (m0); write the new model elsewhere
            same 1
            same spelled otherwise 1
            dpo-train: notes: exists and is not a checkpoint (no config.json); refusing to replace it
            not a model 1
            dpo-train: no/such/dir/m.jsonl: cannot open for writing
            metrics 1
            no m1
            first 0
            dpo-train: m1: exists; give --overwrite to replace it
            exists 1
            no metrics written
            overwrite 0

            """, "\(r.out)\(r.err)")
    }

    @Test func badLineStopsTheRunUnlessSkipped() throws {
        var files = DPOTrainFixture.files
        files["bad.jsonl"] = #"{"prompt":"a","chosen":" 1","rejected":" 2"}"# + "\n" + #"{"prompt":"b","chosen":" 1"}"# + "\nnot json\n"
        let r = try Shell.run("""
        \(DPOTrainFixture.makeM0) || exit 9
        "$BIN/dpo-train" --model m0 --out m1 bad.jsonl; echo "status $?"; test -e m1 && echo "m1 exists"
        "$BIN/dpo-train" --model m0 --out m2 --skip-bad bad.jsonl 2>skip.err; echo "status $?"; test -d m2 && echo "m2 written"
        cat skip.err >&2
        """, files: files)
        #expect(r.out == "status 1\nstatus 0\nm2 written\n", "\(r.out)\n\(r.err)")
        #expect(r.err.contains("dpo-train: bad.jsonl:2: missing field \"rejected\""), "\(r.err)")
        #expect(r.err.contains("dpo-train: bad.jsonl:3: "))
        #expect(r.err.contains("not training"))
        #expect(r.err.contains("dpo-train: skipped 2 bad input line(s)"))
    }

    @Test func resumeEndsWithTheUninterruptedWeights() throws {
        let flags = "--batch-size 3 --max-steps 6 --lr 1e-3 --schedule cosine --warmup 2 --weight-decay 0.01 --seed 5"
        let r = try Shell.run("""
        set -e
        \(DPOTrainFixture.makeM0)
        "$BIN/dpo-train" --model m0 --out a \(flags) pairs.jsonl
        "$BIN/dpo-train" --model m0 --out b \(flags) --stop-after 4 --metrics b.jsonl pairs.jsonl
        test ! -e b && test -f b.state/training_state.safetensors
        "$BIN/dpo-train" --model m0 --out b \(flags) --resume --metrics b.jsonl pairs.jsonl
        cmp a/model.safetensors b/model.safetensors && echo same
        wc -l < b.jsonl | tr -d ' '
        "$BIN/dpo-train" --model m0 --out b --overwrite --batch-size 2 --max-steps 6 --seed 5 --resume pairs.jsonl || echo "refused $?"
        """, files: DPOTrainFixture.files)
        #expect(r.out == "same\n6\nrefused 1\n", "\(r.out)\n\(r.err)")
        #expect(r.err.contains("cannot resume: batch_size"), "\(r.err)")
    }

    @Test func usageErrorsExit64() throws {
        let r = try Shell.run(#""$BIN/dpo-train" --out x; echo "status $?"; "$BIN/dpo-train" --model m --out x --loss kto; echo "status $?""#)
        #expect(r.out == "status 64\nstatus 64\n")
    }

}
