{{/*
One sidecar-injector webhook entry. Called with a dict:
  root: the chart's context; prefix: the webhook name's prefix (names must be unique);
  namespaceSelector, objectSelector: lists of matchExpressions.
*/}}
{{- define "istiod.injectorWebhook" -}}
{{- $v := .root.Values -}}
- name: {{ .prefix }}sidecar-injector.istio.io
  clientConfig:
    {{- if $v.istiodRemote.injectionURL }}
    url: {{ $v.istiodRemote.injectionURL | quote }}
    {{- else }}
    service:
      name: {{ include "istiod.revisioned" (list .root "istiod") }}
      namespace: {{ .root.Release.Namespace }}
      path: {{ $v.istiodRemote.injectionPath | quote }}
      port: 443
    {{- end }}
    {{- with $v.istiodRemote.injectionCABundle }}
    caBundle: {{ . | quote }}
    {{- end }}
  sideEffects: None
  rules:
    - operations: ["CREATE"]
      apiGroups: [""]
      apiVersions: ["v1"]
      resources: ["pods"]
  failurePolicy: Fail
  reinvocationPolicy: {{ $v.sidecarInjectorWebhook.reinvocationPolicy | quote }}
  admissionReviewVersions: ["v1"]
  namespaceSelector:
    matchExpressions:
      {{- toYaml .namespaceSelector | nindent 6 }}
  objectSelector:
    matchExpressions:
      {{- toYaml .objectSelector | nindent 6 }}
{{- end -}}

{{/*
The injector webhooks of one revision name (a revision or a revision tag), as Istio selects pods:
  rev.namespace.: namespace labelled istio.io/rev=NAME (and no istio-injection label), pod not
    opted out;
  rev.object.:    namespace without either label, pod labelled istio.io/rev=NAME and not opted out;
and for the default revision (NAME "default") also:
  namespace.:     namespace labelled istio-injection=enabled, pod not opted out;
  object.:        namespace without either label, pod labelled sidecar.istio.io/inject=true and
    no istio.io/rev;
  auto.:          with enableNamespacesByDefault, every unlabelled pod in an unlabelled namespace
    outside the system namespaces.
Called with (dict "root" $ "name" NAME).
*/}}
{{- define "istiod.injectorWebhooks" -}}
{{- $notOptedOut := dict "key" "sidecar.istio.io/inject" "operator" "NotIn" "values" (list "false") -}}
{{- $noInjectionLabel := dict "key" "istio-injection" "operator" "DoesNotExist" -}}
{{- $noRevLabel := dict "key" "istio.io/rev" "operator" "DoesNotExist" -}}
{{- $isName := dict "key" "istio.io/rev" "operator" "In" "values" (list .name) -}}
{{ include "istiod.injectorWebhook" (dict "root" .root "prefix" "rev.namespace." "namespaceSelector" (list $isName $noInjectionLabel) "objectSelector" (list $notOptedOut)) }}
{{ include "istiod.injectorWebhook" (dict "root" .root "prefix" "rev.object." "namespaceSelector" (list $noRevLabel $noInjectionLabel) "objectSelector" (list $notOptedOut $isName)) }}
{{- if eq .name "default" }}
{{ include "istiod.injectorWebhook" (dict "root" .root "prefix" "namespace." "namespaceSelector" (list (dict "key" "istio-injection" "operator" "In" "values" (list "enabled"))) "objectSelector" (list $notOptedOut)) }}
{{ include "istiod.injectorWebhook" (dict "root" .root "prefix" "object." "namespaceSelector" (list $noInjectionLabel $noRevLabel) "objectSelector" (list (dict "key" "sidecar.istio.io/inject" "operator" "In" "values" (list "true")) $noRevLabel)) }}
{{- if .root.Values.sidecarInjectorWebhook.enableNamespacesByDefault }}
{{ include "istiod.injectorWebhook" (dict "root" .root "prefix" "auto." "namespaceSelector" (list $noInjectionLabel $noRevLabel (dict "key" "kubernetes.io/metadata.name" "operator" "NotIn" "values" (list "kube-system" "kube-public" "kube-node-lease" "local-path-storage"))) "objectSelector" (list (dict "key" "sidecar.istio.io/inject" "operator" "DoesNotExist") $noRevLabel)) }}
{{- end }}
{{- end }}
{{- end -}}

{{/* A cluster-scoped name: NAME, with "-NAMESPACE" appended outside istio-system (as Istio). */}}
{{- define "istiod.clusterScopedName" -}}
{{- $root := index . 0 -}}
{{- index . 1 -}}{{- if ne $root.Release.Namespace "istio-system" -}}-{{ $root.Release.Namespace }}{{- end -}}
{{- end -}}
