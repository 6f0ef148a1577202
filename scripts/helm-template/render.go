package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"github.com/Masterminds/semver/v3"
	sprig "github.com/Masterminds/sprig/v3"
	yamlv2 "gopkg.in/yaml.v2"
	yaml "gopkg.in/yaml.v3"
)

// Helm's install order (pkg/releaseutil/kind_sorter.go); other kinds follow, alphabetically.
var installOrder = []string{
	"PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange", "PodSecurityPolicy",
	"PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList", "ConfigMap", "StorageClass",
	"PersistentVolume", "PersistentVolumeClaim", "CustomResourceDefinition", "ClusterRole", "ClusterRoleList",
	"ClusterRoleBinding", "ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList",
	"Service", "DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
	"HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress", "APIService",
}

// Built-in API versions reported by .Capabilities.APIVersions (Kubernetes 1.30); -a adds more.
var builtinAPIVersions = []string{
	"v1", "apps/v1", "batch/v1", "policy/v1", "autoscaling/v1", "autoscaling/v2", "networking.k8s.io/v1",
	"rbac.authorization.k8s.io/v1", "coordination.k8s.io/v1", "storage.k8s.io/v1", "scheduling.k8s.io/v1",
	"apiextensions.k8s.io/v1", "admissionregistration.k8s.io/v1", "events.k8s.io/v1", "discovery.k8s.io/v1",
	"certificates.k8s.io/v1", "node.k8s.io/v1", "flowcontrol.apiserver.k8s.io/v1beta3",
}

type VersionSet []string

// Has reports whether "group/version" or "group/version/Kind" is available, as Helm's VersionSet.Has.
func (v VersionSet) Has(apiVersion string) bool {
	for _, x := range v {
		if x == apiVersion {
			return true
		}
	}
	return false
}

type KubeVersion struct {
	Version, Major, Minor, GitVersion string
}

func (k KubeVersion) String() string { return k.Version }

type Capabilities struct {
	KubeVersion KubeVersion
	APIVersions VersionSet
	HelmVersion map[string]string
}

// Files gives templates the chart's non-template files, as Helm's .Files (Get only).
type Files map[string][]byte

func (f Files) Get(name string) string { return string(f[name]) }

type manifest struct {
	source, content, kind string
}

func render(o options) (string, error) {
	chartDir := filepath.Clean(o.chartDir)
	chartData, err := os.ReadFile(filepath.Join(chartDir, "Chart.yaml"))
	if err != nil {
		return "", fmt.Errorf("%s is not a chart directory: %v", o.chartDir, err)
	}
	var chartMeta map[string]interface{}
	if err := yaml.Unmarshal(chartData, &chartMeta); err != nil {
		return "", fmt.Errorf("Chart.yaml: %v", err)
	}
	chart := map[string]interface{}{}
	for k, v := range chartMeta {
		switch k {
		case "apiVersion":
			chart["APIVersion"] = v
		default:
			chart[strings.ToUpper(k[:1])+k[1:]] = v
		}
	}
	name, _ := chart["Name"].(string)
	if chart["APIVersion"] != "v2" || name == "" {
		return "", fmt.Errorf("Chart.yaml: apiVersion v2 and a name are required")
	}
	if _, err := semver.StrictNewVersion(fmt.Sprint(chart["Version"])); err != nil {
		return "", fmt.Errorf("Chart.yaml: version %q is not SemVer 2: %v", chart["Version"], err)
	}
	if deps, ok := chart["Dependencies"]; ok && deps != nil {
		return "", fmt.Errorf("Chart.yaml: dependencies are not supported by this renderer (install helm)")
	}
	if entries, _ := os.ReadDir(filepath.Join(chartDir, "charts")); len(entries) > 0 {
		return "", fmt.Errorf("subcharts (charts/) are not supported by this renderer (install helm)")
	}

	kubeVersion, err := semver.NewVersion(o.kubeVersion)
	if err != nil {
		return "", fmt.Errorf("--kube-version %q: %v", o.kubeVersion, err)
	}
	if c, ok := chart["KubeVersion"].(string); ok && c != "" {
		constraint, err := semver.NewConstraint(c)
		if err != nil {
			return "", fmt.Errorf("Chart.yaml kubeVersion %q: %v", c, err)
		}
		if !constraint.Check(kubeVersion) {
			return "", fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes v%s", c, kubeVersion)
		}
	}

	values := map[string]interface{}{}
	if data, err := os.ReadFile(filepath.Join(chartDir, "values.yaml")); err == nil {
		if values, err = parseValues(data, "values.yaml"); err != nil {
			return "", err
		}
	}
	for _, f := range o.valueFiles {
		user, err := readValuesFile(f)
		if err != nil {
			return "", err
		}
		values = coalesce(values, user)
	}
	for _, s := range o.sets {
		if err := applySet(values, s, false); err != nil {
			return "", err
		}
	}
	for _, s := range o.setStrings {
		if err := applySet(values, s, true); err != nil {
			return "", err
		}
	}
	if err := validateSchemaFile(filepath.Join(chartDir, "values.schema.json"), values); err != nil {
		return "", err
	}

	// Templates, named "<chart>/templates/<path>" as Helm names them.
	var templateNames []string
	sources := map[string]string{}
	files := Files{}
	err = filepath.Walk(chartDir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if info.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(chartDir, p)
		rel = filepath.ToSlash(rel)
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		if strings.HasPrefix(rel, "templates/") {
			tname := path.Join(name, rel)
			templateNames = append(templateNames, tname)
			sources[tname] = string(data)
		} else {
			files[rel] = data
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	sort.Strings(templateNames)

	apiVersions := append(VersionSet{}, builtinAPIVersions...)
	apiVersions = append(apiVersions, o.apiVersions...)
	caps := Capabilities{
		KubeVersion: KubeVersion{
			Version:    "v" + kubeVersion.String(),
			Major:      fmt.Sprint(kubeVersion.Major()),
			Minor:      fmt.Sprint(kubeVersion.Minor()),
			GitVersion: "v" + kubeVersion.String(),
		},
		APIVersions: apiVersions,
		HelmVersion: map[string]string{"Version": "v3-subset (scripts/helm-template)"},
	}
	release := map[string]interface{}{
		"Name": o.releaseName, "Namespace": o.namespace, "Service": "Helm",
		"IsInstall": true, "IsUpgrade": false, "Revision": 1,
	}

	root := template.New("gotpl").Option("missingkey=zero")
	includeDepth := map[string]int{}
	funcs := sprig.TxtFuncMap()
	delete(funcs, "env")
	delete(funcs, "expandenv")
	funcs["include"] = func(tname string, data interface{}) (string, error) {
		if includeDepth[tname] > 1000 {
			return "", fmt.Errorf("rendering template has a nested reference name: %s", tname)
		}
		includeDepth[tname]++
		defer func() { includeDepth[tname]-- }()
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, tname, data); err != nil {
			return "", err
		}
		return buf.String(), nil
	}
	funcs["tpl"] = func(text string, data interface{}) (string, error) {
		t, err := root.Clone()
		if err != nil {
			return "", err
		}
		t, err = t.New("tpl").Parse(text)
		if err != nil {
			return "", err
		}
		var buf bytes.Buffer
		if err := t.Execute(&buf, data); err != nil {
			return "", err
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
	funcs["required"] = func(msg string, v interface{}) (interface{}, error) {
		if v == nil {
			return nil, fmt.Errorf("%s", msg)
		}
		if s, ok := v.(string); ok && s == "" {
			return nil, fmt.Errorf("%s", msg)
		}
		return v, nil
	}
	funcs["toYaml"] = func(v interface{}) string {
		data, err := yamlv2.Marshal(v)
		if err != nil {
			return ""
		}
		return strings.TrimSuffix(string(data), "\n")
	}
	funcs["fromYaml"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := yaml.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["toJson"] = func(v interface{}) string {
		data, err := json.Marshal(v)
		if err != nil {
			return ""
		}
		return string(data)
	}
	funcs["fromJson"] = func(s string) map[string]interface{} {
		m := map[string]interface{}{}
		if err := json.Unmarshal([]byte(s), &m); err != nil {
			m["Error"] = err.Error()
		}
		return m
	}
	funcs["lookup"] = func(apiVersion, kind, namespace, name string) (map[string]interface{}, error) {
		return map[string]interface{}{}, nil
	}
	root.Funcs(funcs)
	for _, tname := range templateNames {
		if _, err := root.New(tname).Parse(sources[tname]); err != nil {
			return "", fmt.Errorf("parse error in %q: %v", tname, err)
		}
	}

	var manifests []manifest
	for _, tname := range templateNames {
		base := path.Base(tname)
		if strings.HasPrefix(base, "_") {
			continue
		}
		data := map[string]interface{}{
			"Values": values, "Release": release, "Chart": chart, "Capabilities": caps, "Files": files,
			"Template": map[string]interface{}{"Name": tname, "BasePath": path.Join(name, "templates")},
		}
		var buf bytes.Buffer
		if err := root.ExecuteTemplate(&buf, tname, data); err != nil {
			return "", cleanExecError(err)
		}
		if base == "NOTES.txt" {
			continue
		}
		ext := path.Ext(base)
		if ext != ".yaml" && ext != ".yml" && ext != ".json" {
			continue
		}
		out := strings.ReplaceAll(buf.String(), "<no value>", "")
		for _, doc := range splitManifests(out) {
			var head struct {
				Kind string `yaml:"kind"`
			}
			if err := yaml.Unmarshal([]byte(doc), &head); err != nil {
				return "", fmt.Errorf("YAML parse error on %s: %v", tname, err)
			}
			manifests = append(manifests, manifest{source: tname, content: doc, kind: head.Kind})
		}
	}

	rank := map[string]int{}
	for i, k := range installOrder {
		rank[k] = i
	}
	sort.SliceStable(manifests, func(i, j int) bool {
		ri, iok := rank[manifests[i].kind]
		rj, jok := rank[manifests[j].kind]
		switch {
		case iok && jok:
			return ri < rj
		case iok != jok:
			return iok
		default:
			return manifests[i].kind < manifests[j].kind
		}
	})

	var b strings.Builder
	shown := 0
	for _, m := range manifests {
		if len(o.showOnly) > 0 && !matchesShowOnly(m.source, name, o.showOnly) {
			continue
		}
		shown++
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", m.source, m.content)
	}
	if len(o.showOnly) > 0 && shown == 0 {
		return "", fmt.Errorf("could not find template %s in chart", strings.Join(o.showOnly, ", "))
	}
	return b.String(), nil
}

var docSeparator = regexp.MustCompile(`(?:^|\s*\n)---\s*`)

// splitManifests splits on "---" lines and drops empty documents, as Helm's releaseutil.SplitManifests.
func splitManifests(s string) []string {
	var docs []string
	for _, d := range docSeparator.Split(s, -1) {
		if strings.TrimSpace(d) == "" {
			continue
		}
		docs = append(docs, strings.TrimSpace(d))
	}
	return docs
}

func matchesShowOnly(source, chartName string, patterns []string) bool {
	for _, p := range patterns {
		if source == p || source == path.Join(chartName, p) {
			return true
		}
		if ok, _ := path.Match(path.Join(chartName, p), source); ok {
			return true
		}
	}
	return false
}

var failPrefix = regexp.MustCompile(`template: (\S+?):(\d+):(\d+): executing "[^"]*" at <[^>]*>: error calling (?:fail|required): `)

// cleanExecError turns `fail`/`required` errors into Helm's "execution error at (file:line:col): msg".
func cleanExecError(err error) error {
	msg := err.Error()
	// The innermost fail/required (an include wraps the error of the template it calls).
	if all := failPrefix.FindAllStringSubmatchIndex(msg, -1); all != nil {
		m := all[len(all)-1]
		return fmt.Errorf("execution error at (%s:%s:%s): %s", msg[m[2]:m[3]], msg[m[4]:m[5]], msg[m[6]:m[7]], msg[m[1]:])
	}
	return err
}
