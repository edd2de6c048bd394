// Command envoy-validate checks xDS resources against Envoy's own proto constraints.
//
// The constraints are the protoc-gen-validate rules of Envoy's API, generated into
// go-control-plane as Validate/ValidateAll methods. Envoy applies the same rules to every resource
// it receives, so a resource that fails here is one Envoy would reject.
//
// Input: a file (or "-" for stdin) of length-delimited google.protobuf.Any messages: each one a
// varint length followed by that many bytes, as protobuf-java's writeDelimitedTo writes them.
//
// Output: one JSON line per resource, in input order:
//
//	{"index":0,"type":"type.googleapis.com/envoy.config.cluster.v3.Cluster","name":"c","ok":true}
//	{"index":1,"type":"...","name":"","ok":false,"errors":["..."]}
//
// "warnings" may accompany either: unknown fields and deprecated fields, which Envoy accepts with a
// warning for dynamic config.
//
// ValidateAll does not descend into Any fields (typed_config and the like), so this program does:
// every nested Any is resolved, unpacked and validated in turn, and TypedStruct configs are
// converted to their target type first, as Envoy does. Errors in nested resources are prefixed
// with the field path that leads to them.
//
// Exit status: 0 if every resource is valid, 1 if any is not, 2 on a usage or input error (an
// unreadable file, a truncated length prefix, bytes that are not an Any). An unknown type URL is
// an invalid resource, not an input error.
package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sort"

	udpatypev1 "github.com/cncf/xds/go/udpa/type/v1"
	xdstypev3 "github.com/cncf/xds/go/xds/type/v3"
	"google.golang.org/protobuf/encoding/protojson"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/reflect/protoreflect"
	"google.golang.org/protobuf/reflect/protoregistry"
	"google.golang.org/protobuf/types/descriptorpb"
	"google.golang.org/protobuf/types/known/anypb"
	"google.golang.org/protobuf/types/known/structpb"
)

// maxDepth bounds Any nesting, so a cyclic or hostile input cannot recurse forever.
const maxDepth = 32

type result struct {
	Index    int      `json:"index"`
	Type     string   `json:"type"`
	Name     string   `json:"name"`
	OK       bool     `json:"ok"`
	Errors   []string `json:"errors,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("envoy-validate", flag.ContinueOnError)
	fs.SetOutput(stderr)
	listTypes := fs.Bool("list-types", false, "print every registered message type and exit")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: envoy-validate [-list-types] [FILE|-]")
		fmt.Fprintln(stderr, "Validates length-delimited google.protobuf.Any messages (FILE, or stdin if absent or \"-\")")
		fmt.Fprintln(stderr, "against Envoy's proto constraints; prints one JSON line per resource.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if *listTypes {
		var names []string
		protoregistry.GlobalTypes.RangeMessages(func(mt protoreflect.MessageType) bool {
			names = append(names, string(mt.Descriptor().FullName()))
			return true
		})
		sort.Strings(names)
		for _, n := range names {
			fmt.Fprintln(stdout, n)
		}
		return 0
	}
	if fs.NArg() > 1 {
		fs.Usage()
		return 2
	}
	in := stdin
	if fs.NArg() == 1 && fs.Arg(0) != "-" {
		f, err := os.Open(fs.Arg(0))
		if err != nil {
			fmt.Fprintf(stderr, "envoy-validate: %v\n", err)
			return 2
		}
		defer f.Close()
		in = f
	}
	data, err := io.ReadAll(in)
	if err != nil {
		fmt.Fprintf(stderr, "envoy-validate: reading input: %v\n", err)
		return 2
	}
	// Frame and decode everything first: an input error prints no results at all.
	var anys []*anypb.Any
	for off := 0; off < len(data); {
		n, l := protowire.ConsumeVarint(data[off:])
		if l < 0 {
			fmt.Fprintf(stderr, "envoy-validate: message %d at byte %d: bad length prefix\n", len(anys), off)
			return 2
		}
		off += l
		if n > uint64(len(data)-off) {
			fmt.Fprintf(stderr, "envoy-validate: message %d at byte %d: length %d exceeds the %d bytes left\n", len(anys), off, n, len(data)-off)
			return 2
		}
		a := &anypb.Any{}
		if err := proto.Unmarshal(data[off:off+int(n)], a); err != nil {
			fmt.Fprintf(stderr, "envoy-validate: message %d at byte %d: not a google.protobuf.Any: %v\n", len(anys), off, err)
			return 2
		}
		anys = append(anys, a)
		off += int(n)
	}

	out := bufio.NewWriter(stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	enc.SetEscapeHTML(false)
	status := 0
	for i, a := range anys {
		r := check(i, a)
		if !r.OK {
			status = 1
		}
		if err := enc.Encode(r); err != nil {
			fmt.Fprintf(stderr, "envoy-validate: writing output: %v\n", err)
			return 2
		}
	}
	return status
}

// check validates one top-level resource.
func check(index int, a *anypb.Any) result {
	v := &validator{}
	r := result{Index: index, Type: a.GetTypeUrl()}
	if msg, err := v.unpack(a); err != nil {
		v.errorf("", "%v", err)
	} else {
		r.Name = resourceName(msg)
		v.validate(msg, "", 0)
	}
	r.Errors, r.Warnings = v.errors, v.warnings
	r.OK = len(r.Errors) == 0
	return r
}

// resourceName is the xDS resource name: "name", or "cluster_name" for a ClusterLoadAssignment.
func resourceName(m proto.Message) string {
	fields := m.ProtoReflect().Descriptor().Fields()
	for _, n := range []protoreflect.Name{"name", "cluster_name"} {
		if fd := fields.ByName(n); fd != nil && fd.Kind() == protoreflect.StringKind && fd.Cardinality() != protoreflect.Repeated {
			return m.ProtoReflect().Get(fd).String()
		}
	}
	return ""
}

type validator struct {
	errors   []string
	warnings []string
}

func (v *validator) errorf(path, format string, args ...any) {
	v.errors = append(v.errors, prefix(path)+fmt.Sprintf(format, args...))
}

func (v *validator) warnf(path, format string, args ...any) {
	v.warnings = append(v.warnings, prefix(path)+fmt.Sprintf(format, args...))
}

func prefix(path string) string {
	if path == "" {
		return ""
	}
	return path + ": "
}

// istioProxyTypes are the configs of the extensions that only Istio's Envoy build (istio/proxy)
// implements: istiod sends them to istio/proxyv2, which registers them. Their constraints are not
// Envoy's to check, so an Any or TypedStruct of these types is accepted with a warning.
var istioProxyTypes = map[string]bool{
	"type.googleapis.com/stats.PluginConfig":                                        true,
	"type.googleapis.com/istio.envoy.config.filter.http.alpn.v2alpha1.FilterConfig": true,
	"type.googleapis.com/envoy.tcp.metadataexchange.config.MetadataExchange":        true,
	"type.googleapis.com/io.istio.http.peer_metadata.Config":                        true,
}

// unpack resolves an Any's type in the global registry and decodes its value.
func (v *validator) unpack(a *anypb.Any) (proto.Message, error) {
	if a.GetTypeUrl() == "" {
		return nil, errors.New("Any has an empty type_url")
	}
	mt, err := protoregistry.GlobalTypes.FindMessageByURL(a.GetTypeUrl())
	if err != nil {
		if errors.Is(err, protoregistry.NotFound) {
			return nil, fmt.Errorf("unknown type %q (not an Envoy API type known to this validator)", a.GetTypeUrl())
		}
		return nil, fmt.Errorf("type %q: %v", a.GetTypeUrl(), err)
	}
	msg := mt.New().Interface()
	if err := proto.Unmarshal(a.GetValue(), msg); err != nil {
		return nil, fmt.Errorf("cannot decode %s: %v", mt.Descriptor().FullName(), err)
	}
	return msg, nil
}

// validate applies msg's own constraints (ValidateAll covers msg and every nested message except
// those inside Any), then walks msg for Anys, unknown fields and deprecated fields.
func (v *validator) validate(msg proto.Message, path string, depth int) {
	if depth > maxDepth {
		v.errorf(path, "Any nesting deeper than %d", maxDepth)
		return
	}
	switch m := msg.(type) {
	case interface{ ValidateAll() error }:
		v.addValidationErrors(path, m.ValidateAll())
	case interface{ Validate() error }:
		v.addValidationErrors(path, m.Validate())
	}
	v.walk(msg.ProtoReflect(), path, depth)
}

func (v *validator) addValidationErrors(path string, err error) {
	if err == nil {
		return
	}
	if multi, ok := err.(interface{ AllErrors() []error }); ok {
		for _, e := range multi.AllErrors() {
			v.errorf(path, "%v", e)
		}
		return
	}
	v.errorf(path, "%v", err)
}

func (v *validator) walk(m protoreflect.Message, path string, depth int) {
	if len(m.GetUnknown()) > 0 {
		v.warnf(path, "%s has unknown fields (%d bytes)", m.Descriptor().FullName(), len(m.GetUnknown()))
	}
	m.Range(func(fd protoreflect.FieldDescriptor, val protoreflect.Value) bool {
		fpath := join(path, string(fd.Name()))
		if opts, ok := fd.Options().(*descriptorpb.FieldOptions); ok && opts.GetDeprecated() {
			v.warnf(fpath, "deprecated field %s is set", fd.FullName())
		}
		switch {
		case fd.IsMap():
			if fd.MapValue().Message() == nil {
				return true
			}
			val.Map().Range(func(k protoreflect.MapKey, mv protoreflect.Value) bool {
				v.nested(mv.Message(), fmt.Sprintf("%s[%q]", fpath, k.String()), depth)
				return true
			})
		case fd.IsList():
			if fd.Message() == nil {
				return true
			}
			l := val.List()
			for i := 0; i < l.Len(); i++ {
				v.nested(l.Get(i).Message(), fmt.Sprintf("%s[%d]", fpath, i), depth)
			}
		case fd.Message() != nil:
			v.nested(val.Message(), fpath, depth)
		}
		return true
	})
}

// nested handles one message-valued field: an Any is unpacked and validated as a resource of its
// own; any other message is walked (its constraints were already checked by the enclosing
// ValidateAll).
func (v *validator) nested(m protoreflect.Message, path string, depth int) {
	a, ok := m.Interface().(*anypb.Any)
	if !ok {
		v.walk(m, path, depth)
		return
	}
	if istioProxyTypes[a.GetTypeUrl()] {
		v.warnf(path, "%s: Istio's Envoy build extension, not checked", a.GetTypeUrl())
		return
	}
	inner, err := v.unpack(a)
	if err != nil {
		v.errorf(path, "%v", err)
		return
	}
	apath := fmt.Sprintf("%s<%s>", path, inner.ProtoReflect().Descriptor().FullName())
	if typeURL, value := typedStruct(inner); typeURL != "" {
		if istioProxyTypes[typeURL] {
			v.warnf(apath, "TypedStruct of %s: Istio's Envoy build extension, not checked", typeURL)
			return
		}
		converted, err := fromTypedStruct(typeURL, value)
		if err != nil {
			v.errorf(apath, "%v", err)
			return
		}
		v.validate(converted, fmt.Sprintf("%s<%s>", apath, converted.ProtoReflect().Descriptor().FullName()), depth+1)
		return
	}
	v.validate(inner, apath, depth+1)
}

// typedStruct returns the target type URL and value of an xds/udpa TypedStruct.
func typedStruct(m proto.Message) (string, *structpb.Struct) {
	switch ts := m.(type) {
	case *xdstypev3.TypedStruct:
		return ts.GetTypeUrl(), ts.GetValue()
	case *udpatypev1.TypedStruct:
		return ts.GetTypeUrl(), ts.GetValue()
	}
	return "", nil
}

// fromTypedStruct converts a TypedStruct's value to its target type, as Envoy does: through JSON.
// A target type this validator does not know is an error, as an unknown extension is to Envoy.
func fromTypedStruct(typeURL string, value *structpb.Struct) (proto.Message, error) {
	mt, err := protoregistry.GlobalTypes.FindMessageByURL(typeURL)
	if err != nil {
		return nil, fmt.Errorf("TypedStruct of unknown type %q", typeURL)
	}
	js, err := protojson.Marshal(value)
	if err != nil {
		return nil, fmt.Errorf("TypedStruct value: %v", err)
	}
	msg := mt.New().Interface()
	if err := protojson.Unmarshal(js, msg); err != nil {
		return nil, fmt.Errorf("TypedStruct value is not a valid %s: %v", mt.Descriptor().FullName(), err)
	}
	return msg, nil
}

func join(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}
