# Puts the outputs of `sample --shard I/N`, I = 0..N-1, back in input order, byte for byte.
#
#   awk -v per=K -f pipelines/interleave.awk shard-0.jsonl ... shard-(N-1).jsonl
#
# Shard I holds, in input order, K lines (sample -n K) for each problem whose 0-based index
# among the input's non-blank lines is I modulo N. So problem i is the (i div N)-th group of
# K lines of shard i mod N, and taking one group from each shard in turn is the unsharded
# output. This needs every shard complete (sample exits 1 when it skips a bad line, and the
# shards are not merged then): a shard that ends inside a group, or while another still has
# lines, is a mismatch, reported with status 1.
BEGIN {
    n = ARGC - 1
    if (n < 1 || per < 1) {
        print "interleave.awk: usage: awk -v per=K -f interleave.awk SHARD-0 ... SHARD-(N-1)" > "/dev/stderr"
        exit 2
    }
    for (p = 0; ; p++) {
        f = ARGV[1 + p % n]
        for (k = 0; k < per; k++) {
            r = (getline line < f)
            if (r < 0) fail(f ": cannot read")
            if (r == 0) {
                if (k > 0) fail(f ": ends inside the " per " lines of a problem")
                # Each shard has given the same number of groups so far, or one more: all must be done now.
                for (j = 1; j <= n; j++) if ((getline line < ARGV[j]) > 0) fail(ARGV[j] ": has lines after " f " ended")
                exit 0
            }
            print line
        }
    }
}

function fail(why) {
    print "interleave.awk: " why " (are these all N shards of one run, in order, with -n " per "?)" > "/dev/stderr"
    exit 1
}
