# compare_trajectory.awk — compares optlab's replay of a torch.optim trajectory
# (file 1) with the golden (file 2): every "param" line, element by element.
#   awk -v tol=1e-5 -v floor=1e-3 -f compare_trajectory.awk OURS GOLDEN
# error = |ours - torch| / max(|torch|, floor): relative, with an absolute floor
# so that values passing near 0 are judged by absolute difference (floor * tol).
# Prints the worst error and where; exits 1 if it exceeds tol, or the files'
# shapes differ (different number of param lines or values per line).
# -v key=lr compares the "lr" lines instead (schedule goldens).
BEGIN { if (key == "") key = "param" }
FNR == 1 { file++ }
file == 1 && $1 == key { n1++; ours[n1] = $0; next }
file == 2 && $1 == key { n2++; theirs[n2] = $0; next }
function abs(x) { return x < 0 ? -x : x }
END {
    if (n1 != n2 || n1 == 0) { printf "%s lines: ours %d, golden %d\n", key, n1, n2; exit 1 }
    worst = 0; where = ""
    for (s = 1; s <= n1; s++) {
        k1 = split(ours[s], a, " "); k2 = split(theirs[s], b, " ")
        if (k1 != k2) { printf "step %d: %d values, golden %d\n", s, k1 - 1, k2 - 1; exit 1 }
        for (i = 2; i <= k1; i++) {
            ref = b[i] + 0; d = abs(a[i] - ref); den = abs(ref) > floor ? abs(ref) : floor
            e = d / den
            if (e != e || a[i] ~ /nan|inf/) { printf "step %d %s %d: %s vs %s\n", s, key, i - 2, a[i], b[i]; exit 1 }
            if (e > worst) { worst = e; where = sprintf("step %d %s %d: %s vs torch %s", s, key, i - 2, a[i], b[i]) }
        }
    }
    printf "max error %.3g (%s)\n", worst, where
    exit worst > tol ? 1 : 0
}
