// Command kube-yaml converts YAML documents to JSON exactly as Kubernetes and Istio read them: the
// stream is cut into documents by k8s.io/apimachinery's YAMLReader, and each document is converted
// with sigs.k8s.io/yaml (YAMLToJSON, and YAMLToJSONStrict as istioctl validate reads). It is the
// oracle of jistiod's KubeYamlAgreementTest. Built by integration-tests/cluster/build-kube-yaml.sh.
//
// Input: file paths as arguments. Output: one JSON line per file, in argument order:
//
//	{"file":"a.yaml","docs":[{"json":{...}},{"error":"..."}],"strict":[...]}
//
// "docs" holds one entry per document the reader returns: its JSON, or why it failed. A reader
// error (an invalid document separator) ends the list with that error, as it ends Kubernetes'
// reading. Exit status: 0, or 2 when a file cannot be read.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	kubeyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

type doc struct {
	JSON  json.RawMessage `json:"json,omitempty"`
	Error string          `json:"error,omitempty"`
}

type result struct {
	File   string `json:"file"`
	Docs   []doc  `json:"docs"`
	Strict []doc  `json:"strict"`
}

func convert(data []byte, toJSON func([]byte) ([]byte, error)) []doc {
	out := []doc{}
	reader := kubeyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	for {
		chunk, err := reader.Read()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			return append(out, doc{Error: err.Error()})
		}
		j, err := toJSON(chunk)
		if err != nil {
			out = append(out, doc{Error: err.Error()})
			continue
		}
		out = append(out, doc{JSON: j})
	}
}

func main() {
	enc := json.NewEncoder(os.Stdout)
	for _, path := range os.Args[1:] {
		data, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(os.Stderr, "kube-yaml: %v\n", err)
			os.Exit(2)
		}
		r := result{File: path, Docs: convert(data, yaml.YAMLToJSON), Strict: convert(data, yaml.YAMLToJSONStrict)}
		if err := enc.Encode(r); err != nil {
			fmt.Fprintf(os.Stderr, "kube-yaml: %v\n", err)
			os.Exit(2)
		}
	}
}
