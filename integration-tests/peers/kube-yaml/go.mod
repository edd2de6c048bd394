// kube-yaml: YAML to JSON as Kubernetes reads it, the oracle of KubeYamlAgreementTest. Versions are
// those of Istio 1.27's go.mod (sigs.k8s.io/yaml v1.5.0, k8s.io/apimachinery v0.33.2).
module jistiod.local/peers/kube-yaml

go 1.26.0

require (
	k8s.io/apimachinery v0.33.2
	sigs.k8s.io/yaml v1.5.0
)

require (
	go.yaml.in/yaml/v2 v2.4.2 // indirect
	sigs.k8s.io/json v0.0.0-20241010143419-9aa6b5e7a4b3 // indirect
)
