{{/* Name prefix of every object: the release name, plus "-meso" unless it already says meso. */}}
{{- define "meso.fullname" -}}
{{- if contains "meso" .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-meso" .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{/* Labels of every object; pass a dict with "root" (the top context) and "component". */}}
{{- define "meso.labels" -}}
app.kubernetes.io/name: meso
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/component: {{ .component }}
helm.sh/chart: {{ printf "%s-%s" .root.Chart.Name .root.Chart.Version }}
{{- end -}}

{{/* Selector labels: stable across upgrades; same arguments as meso.labels. */}}
{{- define "meso.selectorLabels" -}}
app.kubernetes.io/name: meso
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end -}}

{{/* A meso image reference; pass a dict with "root" and "role" (master, agent, gateway, tools). */}}
{{- define "meso.image" -}}
{{- $repository := index .root.Values.image.repositories .role -}}
{{- printf "%s%s:%s" .root.Values.image.registry $repository (default .root.Chart.AppVersion .root.Values.image.tag) -}}
{{- end -}}

{{/* The ZooKeeper servers, host:port,...: the bundled ensemble's, or `zookeeper.external`. */}}
{{- define "meso.zkServers" -}}
{{- if .Values.zookeeper.enabled -}}
{{- $name := printf "%s-zookeeper" (include "meso.fullname" .) -}}
{{- $servers := list -}}
{{- range $i := until (int .Values.zookeeper.replicas) -}}
{{- $servers = append $servers (printf "%s-%d.%s-headless:2181" $name $i $name) -}}
{{- end -}}
{{- join "," $servers -}}
{{- else -}}
{{- required "zookeeper.external must list the servers when zookeeper.enabled is false" .Values.zookeeper.external -}}
{{- end -}}
{{- end -}}

{{/* The `zk://` URL masters contend at and agents and frameworks detect the leader with. */}}
{{- define "meso.zkUrl" -}}
{{- printf "zk://%s%s" (include "meso.zkServers" .) .Values.zookeeper.path -}}
{{- end -}}

{{/* The image pull secrets block of a pod spec, when there are any. */}}
{{- define "meso.imagePullSecrets" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}

{{/* `MESO_*` variables from a map, as container env entries. */}}
{{- define "meso.extraEnv" -}}
{{- range $name, $value := . }}
- name: {{ $name }}
  value: {{ $value | toString | quote }}
{{- end }}
{{- end -}}
