// Command goregex answers, for each regex it reads, what Go's regexp.Compile says about it.
//
// Input: one JSON string per line (a regex; JSON so that any byte, newline included, fits).
// Output: one JSON object per input line, in order: {"ok":true} or {"ok":false,"error":"..."}
// where error is err.Error() exactly.
//
// With -unicode-names it prints instead every name \p{...} accepts (one per line, sorted), and
// with -version the Go release it was built with.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"regexp"
	"runtime"
	"sort"
	"unicode"
)

type verdict struct {
	OK    bool   `json:"ok"`
	Error string `json:"error,omitempty"`
}

func main() {
	names := flag.Bool("unicode-names", false, "print the names \\p{...} accepts")
	version := flag.Bool("version", false, "print the Go release")
	flag.Parse()
	if *version {
		fmt.Println(runtime.Version())
		return
	}
	if *names {
		printNames()
		return
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 64<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	for in.Scan() {
		var re string
		if err := json.Unmarshal(in.Bytes(), &re); err != nil {
			fmt.Fprintf(os.Stderr, "goregex: bad input line: %v\n", err)
			os.Exit(2)
		}
		v := verdict{OK: true}
		if _, err := regexp.Compile(re); err != nil {
			v = verdict{Error: err.Error()}
		}
		if err := enc.Encode(v); err != nil {
			fmt.Fprintf(os.Stderr, "goregex: %v\n", err)
			os.Exit(2)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "goregex: %v\n", err)
		os.Exit(2)
	}
}

// printNames lists what \p{name} accepts in this Go release: probing each candidate with the
// parser itself, so the list is the parser's, whatever its lookup rules.
func printNames() {
	var candidates []string
	candidates = append(candidates, "Any", "Assigned", "ASCII", "LC")
	for n := range unicode.Categories {
		candidates = append(candidates, n)
	}
	for n := range unicode.Scripts {
		candidates = append(candidates, n)
	}
	sort.Strings(candidates)
	for _, n := range candidates {
		if _, err := regexp.Compile(`\p{` + n + `}`); err == nil {
			fmt.Println(n)
		}
	}
}
