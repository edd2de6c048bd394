// Command gotemplate renders templates the way istiod renders injection templates: Go's
// text/template with sprig's TxtFuncMap overlaid by Istio's inject.InjectionFuncmap, executed on
// plain JSON data, an inject.SidecarTemplateData decoded from JSON, or the data istiod's Gateway
// API deployment controller renders its kube-gateway template with.
//
// Input: one JSON object per line:
//
//	{"name": "...", "template": "...", "sidecar": false, "gateway": false, "data": <any JSON>}
//
// With "sidecar": true, data holds the fields of SidecarTemplateData: ObjectMeta and Spec as
// Kubernetes JSON, ProxyConfig and MeshConfig as protobuf JSON, Values as JSON, the rest as
// their JSON values. With "gateway": true, data holds the fields of istiod's gateway derivedInput
// (TemplateInput and what the injection config adds): Gateway and Ports as Kubernetes JSON,
// ProxyConfig and MeshConfig as protobuf JSON, Values as JSON, the rest as their JSON values.
//
// Output: one JSON object per input line, in order:
//
//	{"ok": true, "output": "..."} or {"ok": false, "stage": "parse"|"exec"|"data", "error": "..."}
package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"runtime"
	"text/template"

	"github.com/Masterminds/sprig/v3"
	"google.golang.org/protobuf/encoding/protojson"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	gatewayv1 "sigs.k8s.io/gateway-api/apis/v1"

	meshconfig "istio.io/api/mesh/v1alpha1"
	"istio.io/istio/pkg/kube/inject"
	"istio.io/istio/pkg/log"
)

type request struct {
	Name     string          `json:"name"`
	Template string          `json:"template"`
	Sidecar  bool            `json:"sidecar"`
	Gateway  bool            `json:"gateway"`
	Data     json.RawMessage `json:"data"`
}

type result struct {
	OK     bool   `json:"ok"`
	Output string `json:"output,omitempty"`
	Stage  string `json:"stage,omitempty"`
	Error  string `json:"error,omitempty"`
}

type sidecarJSON struct {
	TypeMeta                 metav1.TypeMeta
	DeploymentMeta           types.NamespacedName
	ObjectMeta               metav1.ObjectMeta
	Spec                     corev1.PodSpec
	ProxyConfig              json.RawMessage
	MeshConfig               json.RawMessage
	Values                   map[string]any
	Revision                 string
	NativeSidecars           bool
	ProxyImage               string
	ProxyUID                 int64
	ProxyGID                 int64
	InboundTrafficPolicyMode string
	CompliancePolicy         string
}

// TemplateInput and derivedInput are istiod's gateway.TemplateInput and derivedInput
// (pilot/pkg/config/kube/gateway/deploymentcontroller.go, unexported there): the same fields with
// the same names and types, so templates read them as they read istiod's. Their JSON form is the
// input; the Gateway is embedded by pointer as in istiod.
type TemplateInput struct {
	*gatewayv1.Gateway
	DeploymentName            string
	ServiceAccount            string
	Ports                     []corev1.ServicePort
	ServiceType               corev1.ServiceType
	ClusterID                 string
	KubeVersion               int
	Revision                  string
	NativeSidecars            bool
	ProxyUID                  int64
	ProxyGID                  int64
	CompliancePolicy          string
	InfrastructureLabels      map[string]string
	InfrastructureAnnotations map[string]string
	GatewayNameLabel          string
	IsEastWestGateway         bool
	ControllerLabel           string
}

type derivedInput struct {
	TemplateInput
	ProxyImage  string
	ProxyConfig *meshconfig.ProxyConfig
	MeshConfig  *meshconfig.MeshConfig
	Values      map[string]any
}

type gatewayJSON struct {
	TemplateInput
	Gateway     json.RawMessage
	ProxyImage  string
	ProxyConfig json.RawMessage
	MeshConfig  json.RawMessage
	Values      map[string]any
}

func main() {
	if len(os.Args) > 1 && os.Args[1] == "-version" {
		fmt.Println(runtime.Version())
		return
	}
	// Istio's functions log warnings (e.g. fromJSON on bad input) to stdout by default; stdout
	// carries the results.
	opts := log.DefaultOptions()
	opts.OutputPaths = []string{"stderr"}
	opts.ErrorOutputPaths = []string{"stderr"}
	if err := log.Configure(opts); err != nil {
		fmt.Fprintf(os.Stderr, "gotemplate: %v\n", err)
		os.Exit(2)
	}
	in := bufio.NewScanner(os.Stdin)
	in.Buffer(make([]byte, 1<<20), 256<<20)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	enc := json.NewEncoder(out)
	for in.Scan() {
		var req request
		if err := json.Unmarshal(in.Bytes(), &req); err != nil {
			fmt.Fprintf(os.Stderr, "gotemplate: bad input line: %v\n", err)
			os.Exit(2)
		}
		if err := enc.Encode(render(req)); err != nil {
			fmt.Fprintf(os.Stderr, "gotemplate: %v\n", err)
			os.Exit(2)
		}
	}
	if err := in.Err(); err != nil {
		fmt.Fprintf(os.Stderr, "gotemplate: %v\n", err)
		os.Exit(2)
	}
}

func render(req request) result {
	// As istiod's parseDryTemplate: sprig first, Istio's functions win on clashes.
	t, err := template.New(req.Name).Funcs(sprig.TxtFuncMap()).Funcs(inject.InjectionFuncmap).Parse(req.Template)
	if err != nil {
		return result{Stage: "parse", Error: err.Error()}
	}
	var data any
	if req.Sidecar {
		sd, err := sidecarData(req.Data)
		if err != nil {
			return result{Stage: "data", Error: err.Error()}
		}
		data = sd
	} else if req.Gateway {
		gd, err := gatewayData(req.Data)
		if err != nil {
			return result{Stage: "data", Error: err.Error()}
		}
		data = gd
	} else if len(req.Data) > 0 {
		if err := json.Unmarshal(req.Data, &data); err != nil {
			return result{Stage: "data", Error: err.Error()}
		}
	}
	var b []byte
	w := &buffer{b: b}
	if err := t.Execute(w, data); err != nil {
		return result{Stage: "exec", Error: err.Error()}
	}
	return result{OK: true, Output: string(w.b)}
}

type buffer struct{ b []byte }

func (w *buffer) Write(p []byte) (int, error) {
	w.b = append(w.b, p...)
	return len(p), nil
}

func sidecarData(raw json.RawMessage) (*inject.SidecarTemplateData, error) {
	var s sidecarJSON
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, err
	}
	d := &inject.SidecarTemplateData{
		TypeMeta:                 s.TypeMeta,
		DeploymentMeta:           s.DeploymentMeta,
		ObjectMeta:               s.ObjectMeta,
		Spec:                     s.Spec,
		Values:                   s.Values,
		Revision:                 s.Revision,
		NativeSidecars:           s.NativeSidecars,
		ProxyImage:               s.ProxyImage,
		ProxyUID:                 s.ProxyUID,
		ProxyGID:                 s.ProxyGID,
		InboundTrafficPolicyMode: s.InboundTrafficPolicyMode,
		CompliancePolicy:         s.CompliancePolicy,
	}
	if len(s.ProxyConfig) > 0 && string(s.ProxyConfig) != "null" {
		d.ProxyConfig = &meshconfig.ProxyConfig{}
		if err := protojson.Unmarshal(s.ProxyConfig, d.ProxyConfig); err != nil {
			return nil, fmt.Errorf("ProxyConfig: %v", err)
		}
	}
	if len(s.MeshConfig) > 0 && string(s.MeshConfig) != "null" {
		d.MeshConfig = &meshconfig.MeshConfig{}
		if err := protojson.Unmarshal(s.MeshConfig, d.MeshConfig); err != nil {
			return nil, fmt.Errorf("MeshConfig: %v", err)
		}
	}
	return d, nil
}

// gatewayData is passed by value, as istiod's deployment controller executes its template.
func gatewayData(raw json.RawMessage) (derivedInput, error) {
	var g gatewayJSON
	if err := json.Unmarshal(raw, &g); err != nil {
		return derivedInput{}, err
	}
	d := derivedInput{TemplateInput: g.TemplateInput, ProxyImage: g.ProxyImage, Values: g.Values}
	d.TemplateInput.Gateway = &gatewayv1.Gateway{}
	if err := json.Unmarshal(g.Gateway, d.TemplateInput.Gateway); err != nil {
		return derivedInput{}, fmt.Errorf("Gateway: %v", err)
	}
	if len(g.ProxyConfig) > 0 && string(g.ProxyConfig) != "null" {
		d.ProxyConfig = &meshconfig.ProxyConfig{}
		if err := protojson.Unmarshal(g.ProxyConfig, d.ProxyConfig); err != nil {
			return derivedInput{}, fmt.Errorf("ProxyConfig: %v", err)
		}
	}
	if len(g.MeshConfig) > 0 && string(g.MeshConfig) != "null" {
		d.MeshConfig = &meshconfig.MeshConfig{}
		if err := protojson.Unmarshal(g.MeshConfig, d.MeshConfig); err != nil {
			return derivedInput{}, fmt.Errorf("MeshConfig: %v", err)
		}
	}
	return d, nil
}
