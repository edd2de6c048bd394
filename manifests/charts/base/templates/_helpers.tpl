{{/* The labels every object of the release carries (the same keys Istio's charts set). */}}
{{- define "base.labels" -}}
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
