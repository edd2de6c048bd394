{{/* The labels every object of the release carries (the same keys Istio's charts set). */}}
{{- define "istiod.labels" -}}
{{ with .Release.Service -}}
app.kubernetes.io/managed-by: {{ . | quote }}
{{ end -}}
{{ with .Release.Name -}}
app.kubernetes.io/instance: {{ . | quote }}
{{ end -}}
app.kubernetes.io/part-of: "istio"
{{ with .Chart.AppVersion -}}
app.kubernetes.io/version: {{ . | quote }}
{{ end -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end -}}

{{/* NAME or NAME-REVISION: how every per-revision object is named. Call with (list . "NAME"). */}}
{{- define "istiod.revisioned" -}}
{{- $root := index . 0 -}}
{{- index . 1 -}}{{- with $root.Values.revision -}}-{{ . }}{{- end -}}
{{- end -}}

{{/* The value of the istio.io/rev label: the revision, or "default". */}}
{{- define "istiod.rev" -}}
{{- .Values.revision | default "default" -}}
{{- end -}}

{{/* Labels of objects Istio's operator tracks (Deployment, Service, ConfigMaps, webhooks, ...). */}}
{{- define "istiod.pilotLabels" -}}
istio.io/rev: {{ include "istiod.rev" . | quote }}
install.operator.istio.io/owning-resource: {{ .Values.ownerName | default "unknown" }}
operator.istio.io/component: "Pilot"
{{- end -}}

{{/* Whether this istiod runs here (not a remote-only install). */}}
{{- define "istiod.local" -}}
{{- if or (not .Values.istiodRemote.enabled) .Values.istiodRemote.enabledLocalInjectorIstiod }}true{{ end -}}
{{- end -}}

{{/* Whether this cluster holds istiod's identity and config (RBAC, webhooks). */}}
{{- define "istiod.configCluster" -}}
{{- if or (not .Values.istiodRemote.enabled) .Values.global.configCluster .Values.istiodRemote.enabledLocalInjectorIstiod }}true{{ end -}}
{{- end -}}
