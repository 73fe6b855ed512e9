{{/* Full name of the release's objects. */}}
{{- define "alpha-panda.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object. */}}
{{- define "alpha-panda.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
app.kubernetes.io/name: alpha-panda
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end -}}

{{/* Selector labels of one component: pass (dict "root" $ "component" "operator"). */}}
{{- define "alpha-panda.selector" -}}
app.kubernetes.io/name: alpha-panda
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "alpha-panda.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "alpha-panda.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{- define "alpha-panda.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) -}}
{{- end -}}

{{/* Name of the Secret with postgres-dsn and redis-url that every workload reads. */}}
{{- define "alpha-panda.infraSecret" -}}
{{- default (printf "%s-infra" (include "alpha-panda.fullname" .)) .Values.infrastructure.existingSecret -}}
{{- end -}}

{{- define "alpha-panda.kafkaBootstrap" -}}
{{- if .Values.dev.enabled -}}
{{- printf "%s-redpanda:9092" (include "alpha-panda.fullname" .) -}}
{{- else -}}
{{- .Values.infrastructure.kafkaBootstrap -}}
{{- end -}}
{{- end -}}

{{/* Restricted pod security, shared by every Alpha Panda pod. */}}
{{- define "alpha-panda.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: 10001
runAsGroup: 10001
fsGroup: 10001
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{- define "alpha-panda.containerSecurityContext" -}}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
capabilities:
  drop: [ALL]
{{- end -}}
