package main

import (
	"strings"
	"testing"
)

func TestCheck(t *testing.T) {
	valid := "# HELP a A.\n# TYPE a counter\na{type=\"x\"} 1\na{type=\"y\"} 0\n" +
		"# TYPE h histogram\nh_bucket{le=\"0.1\"} 1\nh_bucket{le=\"+Inf\"} 2\nh_sum 3\nh_count 2\n"
	if r := check(valid); !r.OK {
		t.Fatalf("valid page rejected: %v", r.Errors)
	}
	cases := map[string]string{
		"dotted name":     "x.histogram{le=\"1\"} 1\n",
		"second TYPE":     "# TYPE a counter\na 1\n# TYPE a counter\n",
		"interleaved":     "# TYPE a gauge\na{k=\"1\"} 1\n# TYPE b gauge\nb 1\na{k=\"2\"} 1\n",
		"duplicate":       "# TYPE a gauge\na 1\na 2\n",
		"negative":        "# TYPE a counter\na -1\n",
		"falling buckets": "# TYPE h histogram\nh_bucket{le=\"1\"} 3\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 2\n",
		"no +Inf":         "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",
		"inf != count":    "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 2\n",
		"reserved label":  "# TYPE a gauge\na{__x=\"1\"} 1\n",
		"bad escape":      "# TYPE a gauge\na{k=\"\\q\"} 1\n",
	}
	for name, page := range cases {
		if r := check(page); r.OK {
			t.Errorf("%s: accepted %q", name, page)
		} else if strings.TrimSpace(strings.Join(r.Errors, "")) == "" {
			t.Errorf("%s: rejected without a reason", name)
		}
	}
}
