# Reads `go test -bench` output (several runs of each benchmark) and prints
# each benchmark's median against its baseline's median: the "ratio to
# baseline" table of `make bench`. Used by mk/bench.mk:
#   awk -f mk/benchratio.awk .bench/*.txt
#
# pairs: benchmark, its baseline, the target ratio ("-" when none).
BEGIN {
	npairs = split("Decide BaselineParseWithClaims 1.3;" \
		"DecideEventsTypes BaselineParseWithClaims -;" \
		"DecideEdDSA BaselineParseWithClaimsEdDSA -;" \
		"DecideES256 BaselineParseWithClaimsES256 -;" \
		"DecideRS256 BaselineParseWithClaimsRS256 -;" \
		"DecideLogged BaselineParseWithClaims -;" \
		"DecideNoMetrics BaselineParseWithClaims -;" \
		"DecideUserClaims BaselineParseWithClaims -;" \
		"TokensParse BaselineParseWithClaims -;" \
		"InvokeJSON InvokeJSONNoop -;" \
		"InvokeJSONSlim InvokeJSONSlimNoop -;" \
		"Login BaselineArgon2Verify -;" \
		"Refresh BaselineIssuePair -;" \
		"Logout BaselineParseTwo -", pairs, ";")
}

/^Benchmark/ {
	name = $1
	sub(/^Benchmark/, "", name)
	sub(/-[0-9]+$/, "", name)
	for (i = 3; i < NF; i += 2) {
		unit = $(i + 1)
		k = name SUBSEP unit
		n[k]++
		v[k, n[k]] = $i
	}
}

# median of the values recorded under key k (insertion sort; a few runs).
function median(k,    m, i, j, t, a) {
	m = n[k]
	if (m == 0) return ""
	for (i = 1; i <= m; i++) a[i] = v[k, i] + 0
	for (i = 2; i <= m; i++) {
		t = a[i]
		for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]
		a[j + 1] = t
	}
	if (m % 2) return a[(m + 1) / 2]
	return (a[m / 2] + a[m / 2 + 1]) / 2
}

function human(ns) {
	if (ns == "") return "-"
	if (ns >= 1e6) return sprintf("%.1f ms", ns / 1e6)
	if (ns >= 1e3) return sprintf("%.1f µs", ns / 1e3)
	return sprintf("%.0f ns", ns)
}

function ratio(a, b) {
	if (a == "" || b == "" || b == 0) return "-"
	return sprintf("%.2fx", a / b)
}

END {
	fmt = "%-12s %-24s %10s %10s %7s %10s %10s %7s %9s %7s\n"
	printf "\nRatio to baseline (medians; cpu = process CPU time per op)\n"
	printf fmt, "benchmark", "baseline", "ns/op", "base", "ratio", "cpu-ns/op", "base", "ratio", "allocs", "target"
	for (p = 1; p <= npairs; p++) {
		split(pairs[p], f, " ")
		b = f[1]; base = f[2]; target = f[3]
		if (n[b SUBSEP "ns/op"] == 0) continue
		wall = median(b SUBSEP "ns/op"); bwall = median(base SUBSEP "ns/op")
		cpu = median(b SUBSEP "cpu-ns/op"); bcpu = median(base SUBSEP "cpu-ns/op")
		allocs = median(b SUBSEP "allocs/op") "/" median(base SUBSEP "allocs/op")
		tgt = target
		if (target != "-" && bwall != "") tgt = target ((wall / bwall <= target + 0) ? " ok" : " OVER")
		printf fmt, b, base, human(wall), human(bwall), ratio(wall, bwall), human(cpu), human(bcpu), ratio(cpu, bcpu), allocs, tgt
	}
}
