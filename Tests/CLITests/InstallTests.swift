import Foundation
import Testing

/// `make install` puts irpo, the commands it runs and every man page under PREFIX, built with the
/// Swift runtime inside, so they run where no Swift toolchain is (no library path, no PATH to it).
@Suite struct InstallTests {
    @Test func installedCommandsRunWithoutTheToolchain() throws {
        let root = Shell.packageRoot.path
        let r = try Shell.run("""
            set -e
            make -s -C '\(root)' install PREFIX="$(pwd)/prefix" > install.log 2>&1 || { cat install.log; exit 1; }
            ls prefix/bin | tr '\\n' ' '; echo
            ls prefix/share/man/man1 prefix/share/man/man7 | grep -c '\\.[17]$'
            ! ldd prefix/bin/* | grep -i swift
            echo '{"id":1,"completion":"Final answer: 4","answer":"#### 4"}' > in.jsonl
            env -i PATH=/usr/bin:/bin prefix/bin/irpo grade in.jsonl | env -i PATH=/usr/bin:/bin prefix/bin/irpo eval --json --k 1 \\
              | jq -c .accuracy
            env -i PATH=/usr/bin:/bin MANPAGER=cat prefix/bin/irpo help eval | head -n 1 | tr -s ' '
            """)
        #expect(r.status == 0, "\(r.out)\(r.err)")
        #expect(r.out == "arith-problems dpo-train eval grade irpo pair sample \n8\n1\nEVAL(1) irpo manual EVAL(1)\n", "\(r.out)")
    }
}
