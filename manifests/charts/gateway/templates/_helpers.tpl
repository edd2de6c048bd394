{{/* The gateway's name: .Values.name, else the release name, else istio-ingressgateway. */}}
{{- define "gateway.name" -}}
{{- $release := ne .Release.Name "RELEASE-NAME" | ternary .Release.Name "" -}}
{{- .Values.name | default $release | default "istio-ingressgateway" -}}
{{- end -}}

{{/* The labels every object of the release carries (the same keys Istio's charts set). */}}
{{- define "gateway.chartLabels" -}}
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

{{/* What the Deployment and Service select: app and istio, from labels or the name. */}}
{{- define "gateway.selectorLabels" -}}
app: {{ .Values.labels.app | default (include "gateway.name" .) | quote }}
istio: {{ .Values.labels.istio | default (include "gateway.name" . | trimPrefix "istio-") | quote }}
{{- end -}}

{{/* The selector labels and the user's other labels. */}}
{{- define "gateway.labels" -}}
{{ include "gateway.selectorLabels" . }}
{{- range $k, $v := omit .Values.labels "app" "istio" }}
{{ $k | quote }}: {{ $v | quote }}
{{- end }}
{{- end -}}

{{- define "gateway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- .Values.serviceAccount.name | default (include "gateway.name" .) -}}
{{- else -}}
{{- .Values.serviceAccount.name | default "default" -}}
{{- end -}}
{{- end -}}

{{/* metadata.labels of the gateway's objects. */}}
{{- define "gateway.objectLabels" -}}
app.kubernetes.io/name: {{ include "gateway.name" . }}
{{ include "gateway.chartLabels" . }}
{{ include "gateway.labels" . }}
{{- end -}}
