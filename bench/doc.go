// Package bench measures Sextant beside its peers in one process, so the
// ratios it reports come from one run on one machine. It is a separate
// module: the peers (Casbin) never enter the dependency graph of users of
// github.com/sextant-ml/sextant.
//
// Run the comparison table with
//
//	cd bench && go run ./cmd/rbaccompare
//
// or the same cases as Go benchmarks with
//
//	cd bench && go test -run '^$' -bench . -benchmem
package bench
