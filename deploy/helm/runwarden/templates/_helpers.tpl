{{/* Name of the chart, or nameOverride. */}}
{{- define "runwarden.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Object name prefix: the release name, plus the chart name unless the release name contains it. */}}
{{- define "runwarden.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := include "runwarden.name" . -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object; pass a dict with "root" and "component". */}}
{{- define "runwarden.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version | replace "+" "_" }}
{{ include "runwarden.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
{{- end -}}

{{- define "runwarden.selectorLabels" -}}
app.kubernetes.io/name: {{ include "runwarden.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{- define "runwarden.serviceAccountName" -}}
{{- default (include "runwarden.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "runwarden.nodeAgentName" -}}
{{- printf "%s-node-agent" (include "runwarden.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "runwarden.leaseName" -}}
{{- default (printf "%s-serve" (include "runwarden.fullname" .)) .Values.leaderElection.leaseName -}}
{{- end -}}

{{- define "runwarden.tokenSecretName" -}}
{{- default (printf "%s-api-tokens" (include "runwarden.fullname" .)) .Values.apiTokens.existingSecret -}}
{{- end -}}

{{/* The admission webhook's serving certificate: cert-manager's Secret, or the one given. */}}
{{- define "runwarden.admissionTlsSecret" -}}
{{- if .Values.admission.certManager -}}
{{- printf "%s-admission-tls" (include "runwarden.fullname" .) -}}
{{- else -}}
{{- .Values.admission.tlsSecretName -}}
{{- end -}}
{{- end -}}

{{/* image reference: pass a dict with "image" (repository/tag/digest) and "root". */}}
{{- define "runwarden.image" -}}
{{- if .image.digest -}}
{{- printf "%s@%s" .image.repository .image.digest -}}
{{- else -}}
{{- printf "%s:%s" .image.repository (default .root.Chart.AppVersion .image.tag) -}}
{{- end -}}
{{- end -}}

{{/*
Replicas of serve, and the combinations refused: more than one replica needs leader election (else every
replica scans, writes and notifies) and PostgreSQL (a SQLite file on a ReadWriteOnce claim has one writer).
*/}}
{{- define "runwarden.replicas" -}}
{{- $shared := .Values.postgresql.enabled -}}
{{- if kindIs "invalid" .Values.replicaCount -}}
{{- if and $shared .Values.leaderElection.enabled -}}2{{- else -}}1{{- end -}}
{{- else -}}
{{- $n := int .Values.replicaCount -}}
{{- if and (gt $n 1) (not .Values.leaderElection.enabled) -}}
{{- fail (printf "replicaCount %d needs leaderElection.enabled=true: without it every replica scans, writes history and notifies" $n) -}}
{{- end -}}
{{- if and (gt $n 1) (not $shared) -}}
{{- fail (printf "replicaCount %d needs postgresql.enabled=true: the SQLite history is one file on a ReadWriteOnce volume with one writer (set replicaCount=1, or keep the history in PostgreSQL)" $n) -}}
{{- end -}}
{{- $n -}}
{{- end -}}
{{- end -}}

{{/* The restricted Pod Security Standard, container level. */}}
{{- define "runwarden.restrictedContainerSecurityContext" -}}
privileged: false
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
runAsNonRoot: true
capabilities:
  drop: ["ALL"]
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
The vulndb container: `runwarden db update --every` keeping the vulnerability database at
/var/lib/runwarden-vulndb up to date, beside serve and (nodeAgent.only=vulnerable) beside the node agent.
dict: root, image (an image values block), uid (set: run as this user whatever the pod runs as).
*/}}
{{- define "runwarden.vulndbContainer" -}}
{{- $v := .root.Values.vulnerabilities -}}
- name: vulndb
  image: {{ include "runwarden.image" (dict "image" .image "root" .root) | quote }}
  imagePullPolicy: {{ .image.pullPolicy }}
  args:
    - db
    - update
    - --db
    - /var/lib/runwarden-vulndb/runwarden.db
    - --every
    - {{ $v.updateInterval | quote }}
    {{- if $v.mirrors }}
    - --config
    - /etc/runwarden/vulndb/vulndb.yaml
    {{- end }}
  env:
    - name: NO_COLOR
      value: "1"
    {{- if $v.heapLimitMiB }}
    - name: NODE_OPTIONS
      value: --max-old-space-size={{ $v.heapLimitMiB | int }}
    {{- end }}
  resources:
    {{- toYaml $v.resources | nindent 4 }}
  securityContext:
    {{- with .uid }}
    runAsUser: {{ . }}
    runAsGroup: {{ . }}
    {{- end }}
    {{- include "runwarden.restrictedContainerSecurityContext" .root | nindent 4 }}
  volumeMounts:
    - name: vulndb
      mountPath: /var/lib/runwarden-vulndb
    # a feed is downloaded here before it is imported
    - name: vulndb-tmp
      mountPath: /tmp
    {{- if $v.mirrors }}
    - name: vulndb-config
      mountPath: /etc/runwarden/vulndb
      readOnly: true
    {{- end }}
{{- end -}}

{{/* The volumes of the vulndb container; dict: root, configMap (the mirrors ConfigMap's name). */}}
{{- define "runwarden.vulndbVolumes" -}}
- name: vulndb
  emptyDir:
    sizeLimit: {{ .root.Values.vulnerabilities.volumeSize }}
- name: vulndb-tmp
  emptyDir:
    sizeLimit: 2Gi
{{- if .root.Values.vulnerabilities.mirrors }}
- name: vulndb-config
  configMap:
    name: {{ .configMap }}
{{- end }}
{{- end -}}

{{/* The mirrors ConfigMap of a vulndb container; dict: root, name, namespace, component. */}}
{{- define "runwarden.vulndbConfig" -}}
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .name }}
  namespace: {{ .namespace }}
  labels:
    {{- include "runwarden.labels" (dict "root" .root "component" .component) | nindent 4 }}
data:
  vulndb.yaml: |
    {{- toYaml (dict "mirrors" .root.Values.vulnerabilities.mirrors) | nindent 4 }}
{{- end -}}
