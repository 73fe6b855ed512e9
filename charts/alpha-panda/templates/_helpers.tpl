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

{{- define "alpha-panda.imageTag" -}}
{{- default .Chart.AppVersion .Values.image.tag -}}
{{- end -}}

{{- define "alpha-panda.image" -}}
{{- printf "%s:%s" .Values.image.repository (include "alpha-panda.imageTag" .) -}}
{{- end -}}

{{/* Name of the Secret with postgres-dsn and redis-url that every workload reads. */}}
{{- define "alpha-panda.infraSecret" -}}
{{- default (printf "%s-infra" (include "alpha-panda.fullname" .)) .Values.infrastructure.existingSecret -}}
{{- end -}}

{{- define "alpha-panda.kafkaBootstrap" -}}
{{- if .Values.dev.enabled -}}
{{- printf "%s-kafka:9092" (include "alpha-panda.fullname" .) -}}
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

{{/*
Names a BrokerSession's services use, from the API's session: the same rule as
alpha_panda_operator.isolation.SessionScope (a test compares the two).
*/}}
{{- define "alpha-panda.apiTopicPrefix" -}}
{{- printf "%s.%s." .Release.Namespace .Values.api.brokerSession -}}
{{- end -}}

{{- define "alpha-panda.apiMarketTopicPrefix" -}}
{{- printf "%s." .Release.Namespace -}}
{{- end -}}

{{- define "alpha-panda.apiGroupPrefix" -}}
{{- printf "%s.%s.%s.%s" .Values.operator.groupPrefix .Release.Namespace .Values.api.brokerSession .Values.api.namespace -}}
{{- end -}}

{{/* Secret holding the API's JWT signing keys (keys jwt-keys and active-kid). */}}
{{- define "alpha-panda.jwtSecret" -}}
{{- default (printf "%s-jwt" (include "alpha-panda.fullname" .)) .Values.auth.jwt.existingSecret -}}
{{- end -}}

{{/* Environment every Alpha Panda pod of the chart gets for OpenTelemetry. */}}
{{- define "alpha-panda.telemetryEnv" -}}
{{- if .root.Values.telemetry.otlpEndpoint }}
- {name: OTEL_EXPORTER_OTLP_ENDPOINT, value: {{ .root.Values.telemetry.otlpEndpoint | quote }}}
- {name: OTEL_SERVICE_NAME, value: {{ .service | quote }}}
- {name: OTEL_RESOURCE_ATTRIBUTES, value: {{ printf "k8s.namespace.name=%s" .root.Release.Namespace | quote }}}
{{- end }}
{{- end -}}
