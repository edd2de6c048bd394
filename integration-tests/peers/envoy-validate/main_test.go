package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	xdstypev3 "github.com/cncf/xds/go/xds/type/v3"
	clusterv3 "github.com/envoyproxy/go-control-plane/envoy/config/cluster/v3"
	corev3 "github.com/envoyproxy/go-control-plane/envoy/config/core/v3"
	listenerv3 "github.com/envoyproxy/go-control-plane/envoy/config/listener/v3"
	routev3 "github.com/envoyproxy/go-control-plane/envoy/config/route/v3"
	routerv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/http/router/v3"
	hcmv3 "github.com/envoyproxy/go-control-plane/envoy/extensions/filters/network/http_connection_manager/v3"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/durationpb"
	"google.golang.org/protobuf/types/known/structpb"
)

func mustAny(t *testing.T, m proto.Message) *anypb.Any {
	t.Helper()
	a, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func delimited(t *testing.T, anys ...*anypb.Any) []byte {
	t.Helper()
	var out []byte
	for _, a := range anys {
		b, err := proto.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		out = protowire.AppendVarint(out, uint64(len(b)))
		out = append(out, b...)
	}
	return out
}

func runOn(t *testing.T, input []byte) (int, []result, string) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	code := run(nil, bytes.NewReader(input), &stdout, &stderr)
	var results []result
	for _, line := range strings.Split(strings.TrimSpace(stdout.String()), "\n") {
		if line == "" {
			continue
		}
		var r result
		if err := json.Unmarshal([]byte(line), &r); err != nil {
			t.Fatalf("bad output line %q: %v", line, err)
		}
		results = append(results, r)
	}
	return code, results, stderr.String()
}

func hcmWithRds(statPrefix string, filters ...*hcmv3.HttpFilter) *hcmv3.HttpConnectionManager {
	return &hcmv3.HttpConnectionManager{
		StatPrefix: statPrefix,
		RouteSpecifier: &hcmv3.HttpConnectionManager_Rds{Rds: &hcmv3.Rds{
			RouteConfigName: "r",
			ConfigSource:    &corev3.ConfigSource{ConfigSourceSpecifier: &corev3.ConfigSource_Ads{Ads: &corev3.AggregatedConfigSource{}}},
		}},
		HttpFilters: filters,
	}
}

func TestValidAndInvalidResources(t *testing.T) {
	router := &hcmv3.HttpFilter{Name: "envoy.filters.http.router", ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(t, &routerv3.Router{})}}
	good := &clusterv3.Cluster{Name: "outbound|80||a.default.svc.cluster.local", ConnectTimeout: durationpb.New(1e9)}
	badCluster := &clusterv3.Cluster{Name: "", ConnectTimeout: &durationpb.Duration{Seconds: -1}}
	goodListener := &listenerv3.Listener{Name: "a:80", ApiListener: &listenerv3.ApiListener{ApiListener: mustAny(t, hcmWithRds("a", router))}}
	// The HCM inside the api_listener Any breaks its own rules (empty stat_prefix, a filter
	// without a name); only the recursive descent can see that.
	badInner := &hcmv3.HttpFilter{Name: "", ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(t, &routerv3.Router{})}}
	badListener := &listenerv3.Listener{Name: "b:80", ApiListener: &listenerv3.ApiListener{ApiListener: mustAny(t, hcmWithRds("", badInner))}}
	unknown := &anypb.Any{TypeUrl: "type.googleapis.com/istio.not.a.Type", Value: nil}
	routes := &routev3.RouteConfiguration{Name: "r", VirtualHosts: []*routev3.VirtualHost{{
		Name: "vh", Domains: []string{"*"},
		TypedPerFilterConfig: map[string]*anypb.Any{"x": {TypeUrl: "type.googleapis.com/istio.not.a.Type"}},
	}}}
	ts := mustAny(t, &xdstypev3.TypedStruct{
		TypeUrl: "type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager",
		Value:   &structpb.Struct{Fields: map[string]*structpb.Value{"stat_prefix": structpb.NewStringValue("")}},
	})
	typedStructListener := &listenerv3.Listener{Name: "c:80", FilterChains: []*listenerv3.FilterChain{{
		Filters: []*listenerv3.Filter{{Name: "envoy.filters.network.http_connection_manager", ConfigType: &listenerv3.Filter_TypedConfig{TypedConfig: ts}}},
	}}}

	code, results, stderr := runOn(t, delimited(t,
		mustAny(t, good), mustAny(t, badCluster), mustAny(t, goodListener), mustAny(t, badListener), unknown, mustAny(t, routes), mustAny(t, typedStructListener)))
	if code != 1 || len(results) != 7 {
		t.Fatalf("code %d, %d results, stderr %q", code, len(results), stderr)
	}
	want := []struct {
		ok       bool
		name     string
		contains []string
	}{
		{true, "outbound|80||a.default.svc.cluster.local", nil},
		{false, "", []string{"Cluster.Name", "Cluster.ConnectTimeout"}},
		{true, "a:80", nil},
		{false, "b:80", []string{"api_listener.api_listener<envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager>: invalid HttpConnectionManager.StatPrefix", "HttpFilters[0]"}},
		{false, "", []string{"unknown type \"type.googleapis.com/istio.not.a.Type\""}},
		{false, "r", []string{"virtual_hosts[0].typed_per_filter_config[\"x\"]: unknown type"}},
		{false, "c:80", []string{"typed_config<xds.type.v3.TypedStruct><envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager>: invalid HttpConnectionManager.StatPrefix"}},
	}
	for i, w := range want {
		r := results[i]
		if r.Index != i || r.OK != w.ok || r.Name != w.name {
			t.Errorf("result %d: got %+v, want ok=%v name=%q", i, r, w.ok, w.name)
		}
		all := strings.Join(r.Errors, "\n")
		for _, c := range w.contains {
			if !strings.Contains(all, c) {
				t.Errorf("result %d: errors %q lack %q", i, r.Errors, c)
			}
		}
	}
}

func TestAllValidExitsZero(t *testing.T) {
	code, results, _ := runOn(t, delimited(t, mustAny(t, &clusterv3.Cluster{Name: "c"})))
	if code != 0 || len(results) != 1 || !results[0].OK || results[0].Name != "c" {
		t.Fatalf("code %d results %+v", code, results)
	}
}

func TestInputErrors(t *testing.T) {
	full := delimited(t, mustAny(t, &clusterv3.Cluster{Name: "c"}))
	for name, input := range map[string][]byte{
		"truncated message": full[:len(full)-1],
		"truncated varint":  {0x80},
		"not an Any":        {0x02, 0xff, 0xff},
	} {
		code, results, stderr := runOn(t, input)
		if code != 2 || len(results) != 0 || stderr == "" {
			t.Errorf("%s: code %d, results %+v, stderr %q", name, code, results, stderr)
		}
	}
	var stdout, stderr bytes.Buffer
	if code := run([]string{"a", "b"}, nil, &stdout, &stderr); code != 2 {
		t.Errorf("two arguments: code %d", code)
	}
	if code := run([]string{"/nonexistent/input"}, nil, &stdout, &stderr); code != 2 {
		t.Errorf("missing file: code %d", code)
	}
}

// Istio's Envoy build's extensions (istio.stats, istio.alpn, the metadata exchange TypedStructs)
// are accepted with a warning: Envoy's constraints say nothing about them. An unknown type that
// is not one of them still fails.
func TestIstioProxyExtensionsAreAcceptedWithAWarning(t *testing.T) {
	router := &hcmv3.HttpFilter{Name: "envoy.filters.http.router", ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(t, &routerv3.Router{})}}
	stats := &hcmv3.HttpFilter{Name: "istio.stats", ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: &anypb.Any{TypeUrl: "type.googleapis.com/stats.PluginConfig"}}}
	mx := &hcmv3.HttpFilter{Name: "istio.metadata_exchange", ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(t, &xdstypev3.TypedStruct{
		TypeUrl: "type.googleapis.com/io.istio.http.peer_metadata.Config",
		Value:   &structpb.Struct{},
	})}}
	other := &hcmv3.HttpFilter{Name: "x", ConfigType: &hcmv3.HttpFilter_TypedConfig{TypedConfig: mustAny(t, &xdstypev3.TypedStruct{
		TypeUrl: "type.googleapis.com/io.istio.not.a.Type",
		Value:   &structpb.Struct{},
	})}}
	ok := &listenerv3.Listener{Name: "a:80", ApiListener: &listenerv3.ApiListener{ApiListener: mustAny(t, hcmWithRds("a", mx, stats, router))}}
	bad := &listenerv3.Listener{Name: "b:80", ApiListener: &listenerv3.ApiListener{ApiListener: mustAny(t, hcmWithRds("b", other, router))}}
	code, results, stderr := runOn(t, delimited(t, mustAny(t, ok), mustAny(t, bad)))
	if code != 1 || len(results) != 2 {
		t.Fatalf("code %d, %d results, stderr %q", code, len(results), stderr)
	}
	if !results[0].OK || len(results[0].Warnings) != 2 {
		t.Errorf("istio extensions: got %+v, want ok with two warnings", results[0])
	}
	if results[1].OK || !strings.Contains(strings.Join(results[1].Errors, "\n"), "TypedStruct of unknown type") {
		t.Errorf("unknown TypedStruct: got %+v, want an error", results[1])
	}
}
