// goregex: prints Go's regexp.Compile verdict for each regex it reads, as Istio's validator sees
// it. Built by integration-tests/cluster/build-goregex.sh with the Go release Istio 1.27 is built
// with (go1.24), fetched as a toolchain module from the Go module proxy; used by
// io.jistiod.it.support.GoRegex.
module jistiod.local/peers/goregex

go 1.24.0

toolchain go1.24.6
