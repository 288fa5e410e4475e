import Foundation
import Testing

/// The first-hour mistakes get one clear message each: a JSON array or pretty-printed JSON in
/// place of JSONL, a missing file, a negative number where a flag needs a positive one.
@Suite struct InputMistakeTests {
    @Test(arguments: ["grade --quiet", "pair --quiet", "eval"])
    func jsonArraysAndPrettyJSONGetOneMessageAFile(_ command: String) throws {
        let r = try Shell.run("""
            "$BIN/"\(command) array.json pretty.json missing.jsonl; echo "status $?"
            """, files: ["array.json": "[{\"id\": 1, \"completion\": \"x\", \"answer\": \"#### 1\"}]\n",
                         "pretty.json": "{\n  \"id\": 1,\n  \"completion\": \"x\"\n}\n"])
        let name = command.split(separator: " ")[0]
        #expect(r.err == """
            \(name): array.json: expected JSONL, one object per line; try `jq -c '.[]'`
            \(name): pretty.json: expected JSONL, one object per line; try `jq -c .`
            \(name): cannot open missing.jsonl: No such file or directory

            """, "\(r.err)")
        #expect(r.out.hasSuffix("status 1\n"), "\(r.out)")
    }

    @Test func dpoTrainNamesAnUnreadableInputNotABadLine() throws {
        let r = try Shell.run(DPOTrainFixture.makeM0 + " || exit 9\n"
                              + #""$BIN/dpo-train" --model m0 --out m1 missing.jsonl pairs.jsonl; echo "status $?""#,
                              files: DPOTrainFixture.files)
        #expect(r.err == "dpo-train: cannot open missing.jsonl: No such file or directory\n"
                + "dpo-train: 1 input(s) could not be read; not training\n", "\(r.err)")
        #expect(r.out == "status 1\n")
    }

    /// A negative number is read as the option's value and refused by its range, not taken
    /// for another option ("Missing value").
    @Test(arguments: [("sample --model m --temperature -1", "--temperature must be 0 or more"),
                      ("sample --model m -n -2", "-n must be at least 1"),
                      ("dpo-train --model m --out o --lr -1", "--lr, --clip, --weight-decay, --alpha and --lambda must not be negative"),
                      ("dpo-train --model m --out o --beta -0.1", "--beta must be positive")])
    func negativeValuesAreOutOfRange(_ command: String, _ message: String) throws {
        let r = try Shell.run(#""$BIN/"\#(command) < /dev/null"#)
        #expect(r.status == 64 && r.err.hasPrefix("Error: \(message)\n"), "\(r.err)")
    }
}
