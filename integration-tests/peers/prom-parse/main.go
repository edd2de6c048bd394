// Command prom-parse checks a Prometheus text exposition (format 0.0.4) the way a Prometheus
// server reads it, with the parser of github.com/prometheus/common/expfmt, and then checks what
// that parser lets through but a scrape's consumers rely on.
//
// Input: a file (or "-" for stdin) holding one scraped page.
//
// Checks:
//   - the parser accepts the whole page with the legacy (pre-UTF-8) name rules: names match
//     [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*; one HELP and one TYPE per
//     family, given before its samples; families not interleaved; values and escapes well formed;
//   - families are not interleaved: once another family's lines begin, an earlier family never
//     comes back (the parser would silently merge it);
//   - no family has two series with the same labels (the parser keeps both);
//   - no label name starts with "__" (reserved for Prometheus' own use);
//   - counters are finite and not negative;
//   - histograms: buckets ascend, their counts never fall, a +Inf bucket exists and equals _count,
//     and every series has _sum and _count.
//
// Output: one JSON object on stdout:
//
//	{"ok":true,"families":[{"name":"pilot_xds_pushes","type":"counter","series":4}, ...]}
//	{"ok":false,"errors":["text format parsing error in line 3: ..."],"families":[...]}
//
// Exit status: 0 if the page passes, 1 if it does not, 2 on a usage or input error.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

type family struct {
	Name   string `json:"name"`
	Type   string `json:"type"`
	Series int    `json:"series"`
}

type report struct {
	OK       bool     `json:"ok"`
	Errors   []string `json:"errors,omitempty"`
	Families []family `json:"families"`
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: prom-parse FILE|-")
		os.Exit(2)
	}
	var in io.Reader = os.Stdin
	if os.Args[1] != "-" {
		f, err := os.Open(os.Args[1])
		if err != nil {
			fmt.Fprintln(os.Stderr, "prom-parse:", err)
			os.Exit(2)
		}
		defer f.Close()
		in = f
	}
	page, err := io.ReadAll(in)
	if err != nil {
		fmt.Fprintln(os.Stderr, "prom-parse:", err)
		os.Exit(2)
	}
	r := check(string(page))
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
	if !r.OK {
		os.Exit(1)
	}
}

func check(page string) report {
	r := report{Families: []family{}}
	parser := expfmt.NewTextParser(model.LegacyValidation)
	families, err := parser.TextToMetricFamilies(strings.NewReader(page))
	if err != nil {
		r.Errors = append(r.Errors, err.Error())
	}
	r.Errors = append(r.Errors, checkOrder(page, families)...)
	names := make([]string, 0, len(families))
	for n := range families {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		mf := families[n]
		r.Families = append(r.Families, family{Name: n, Type: strings.ToLower(mf.GetType().String()), Series: len(mf.GetMetric())})
		r.Errors = append(r.Errors, checkFamily(mf)...)
	}
	r.OK = len(r.Errors) == 0
	return r
}

func checkFamily(mf *dto.MetricFamily) []string {
	var errs []string
	seen := map[string]bool{}
	for _, m := range mf.GetMetric() {
		key := labelKey(m)
		if seen[key] {
			errs = append(errs, fmt.Sprintf("%s: duplicate series {%s}", mf.GetName(), key))
		}
		seen[key] = true
		for _, lp := range m.GetLabel() {
			if strings.HasPrefix(lp.GetName(), "__") {
				errs = append(errs, fmt.Sprintf("%s{%s}: reserved label name %q", mf.GetName(), key, lp.GetName()))
			}
		}
		switch mf.GetType() {
		case dto.MetricType_COUNTER:
			v := m.GetCounter().GetValue()
			if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
				errs = append(errs, fmt.Sprintf("%s{%s}: counter value %v", mf.GetName(), key, v))
			}
		case dto.MetricType_HISTOGRAM:
			errs = append(errs, checkHistogram(mf.GetName(), key, m.GetHistogram())...)
		}
	}
	return errs
}

func checkHistogram(name, key string, h *dto.Histogram) []string {
	var errs []string
	where := fmt.Sprintf("%s{%s}", name, key)
	if h.SampleCount == nil && h.SampleCountFloat == nil {
		errs = append(errs, where+": no _count")
	}
	if h.SampleSum == nil {
		errs = append(errs, where+": no _sum")
	}
	prevBound := math.Inf(-1)
	var prevCount uint64
	sawInf := false
	for _, b := range h.GetBucket() {
		le := b.GetUpperBound()
		if le <= prevBound {
			errs = append(errs, fmt.Sprintf("%s: bucket le=%v after le=%v", where, le, prevBound))
		}
		if b.GetCumulativeCount() < prevCount {
			errs = append(errs, fmt.Sprintf("%s: bucket le=%v holds %d, fewer than the %d below it", where, le, b.GetCumulativeCount(), prevCount))
		}
		prevBound, prevCount = le, b.GetCumulativeCount()
		if math.IsInf(le, 1) {
			sawInf = true
			if b.GetCumulativeCount() != h.GetSampleCount() {
				errs = append(errs, fmt.Sprintf("%s: +Inf bucket %d differs from _count %d", where, b.GetCumulativeCount(), h.GetSampleCount()))
			}
		}
	}
	if !sawInf {
		errs = append(errs, where+": no +Inf bucket")
	}
	return errs
}

// labelKey is the series' labels, sorted by name, as name="value" pairs.
func labelKey(m *dto.Metric) string {
	pairs := make([]string, 0, len(m.GetLabel()))
	for _, lp := range m.GetLabel() {
		pairs = append(pairs, fmt.Sprintf("%s=%q", lp.GetName(), lp.GetValue()))
	}
	sort.Strings(pairs)
	return strings.Join(pairs, ",")
}

// checkOrder reports a family whose lines resume after another family's began.
func checkOrder(page string, families map[string]*dto.MetricFamily) []string {
	var errs []string
	done := map[string]bool{}
	current := ""
	for i, line := range strings.Split(page, "\n") {
		name := lineFamily(line, families)
		if name == "" || name == current {
			continue
		}
		if done[name] {
			errs = append(errs, fmt.Sprintf("line %d: family %s resumes after other families", i+1, name))
		}
		if current != "" {
			done[current] = true
		}
		current = name
	}
	return errs
}

// lineFamily is the family a HELP, TYPE or sample line belongs to, "" for other lines.
func lineFamily(line string, families map[string]*dto.MetricFamily) string {
	line = strings.TrimLeft(line, " \t")
	if strings.HasPrefix(line, "#") {
		f := strings.Fields(line)
		if len(f) >= 3 && (f[1] == "HELP" || f[1] == "TYPE") {
			return f[2]
		}
		return ""
	}
	end := strings.IndexAny(line, "{ \t")
	if end < 0 {
		end = len(line)
	}
	name := line[:end]
	if name == "" {
		return ""
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		base, ok := strings.CutSuffix(name, suffix)
		if !ok {
			continue
		}
		if mf, found := families[base]; found && (mf.GetType() == dto.MetricType_HISTOGRAM || mf.GetType() == dto.MetricType_SUMMARY) {
			return base
		}
	}
	return name
}
