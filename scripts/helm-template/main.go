// helm-template renders a Helm chart directory the way `helm template` does, for the subset of Helm
// that runwarden's chart (deploy/helm/runwarden) uses. It exists because the real helm binary cannot be
// installed on runwarden's build machine (no download sites, no Go module proxy, no Debian package),
// while the Go toolchain, text/template, the sprig function library and YAML are Debian packages.
// scripts/helm-template.sh runs the real `helm template` whenever helm is on PATH.
//
// Supported: Chart.yaml (apiVersion v2, kubeVersion constraint), values.yaml, -f/--values, --set,
// --set-string, values.schema.json (a JSON Schema subset: type, properties, additionalProperties,
// required, enum, pattern, minimum, maximum, minLength, items, anyOf), the built-in objects Values,
// Release, Chart, Capabilities, Template and Files (Get), every sprig function Helm keeps plus include,
// tpl, required, fail, toYaml, fromYaml, toJson, fromJson and lookup (always empty: there is no
// cluster), partials (_*.tpl), NOTES.txt (rendered for errors, not printed, like helm template),
// `---` documents with `# Source:` comments in Helm's install order, --show-only.
// Not supported (the program stops with a one-line error): subcharts and dependencies, hooks output,
// --post-renderer, --output-dir and the other helm template flags.
package main

import (
	"fmt"
	"os"
	"strings"
)

type options struct {
	releaseName string
	chartDir    string
	namespace   string
	valueFiles  []string
	sets        []string
	setStrings  []string
	kubeVersion string
	apiVersions []string
	showOnly    []string
}

const usage = `usage: helm-template [NAME] CHART [-n NAMESPACE] [-f values.yaml]... [--set k=v]... [--set-string k=v]...
                     [--kube-version v1.30.0] [-a group/version]... [-s templates/file.yaml]...`

func parseArgs(args []string) (options, error) {
	o := options{namespace: "default", kubeVersion: "v1.30.0"}
	var positional []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, value, hasValue := a, "", false
		if strings.HasPrefix(a, "--") {
			if eq := strings.IndexByte(a, '='); eq > 0 {
				name, value, hasValue = a[:eq], a[eq+1:], true
			}
		}
		next := func() (string, error) {
			if hasValue {
				return value, nil
			}
			if i+1 >= len(args) {
				return "", fmt.Errorf("flag %s needs a value", name)
			}
			i++
			return args[i], nil
		}
		var err error
		var v string
		switch name {
		case "-n", "--namespace":
			v, err = next()
			o.namespace = v
		case "-f", "--values":
			v, err = next()
			o.valueFiles = append(o.valueFiles, v)
		case "--set":
			v, err = next()
			o.sets = append(o.sets, v)
		case "--set-string":
			v, err = next()
			o.setStrings = append(o.setStrings, v)
		case "--kube-version":
			v, err = next()
			o.kubeVersion = v
		case "-a", "--api-versions":
			v, err = next()
			o.apiVersions = append(o.apiVersions, v)
		case "-s", "--show-only":
			v, err = next()
			o.showOnly = append(o.showOnly, v)
		case "-h", "--help":
			fmt.Println(usage)
			os.Exit(0)
		default:
			if strings.HasPrefix(a, "-") {
				return o, fmt.Errorf("flag %s is not supported by this renderer (install helm for the full helm template)", a)
			}
			positional = append(positional, a)
		}
		if err != nil {
			return o, err
		}
	}
	switch len(positional) {
	case 1:
		o.releaseName, o.chartDir = "release-name", positional[0]
	case 2:
		o.releaseName, o.chartDir = positional[0], positional[1]
	default:
		return o, fmt.Errorf("expected [NAME] CHART, got %d arguments\n%s", len(positional), usage)
	}
	return o, nil
}

func main() {
	o, err := parseArgs(os.Args[1:])
	if err == nil {
		var out string
		out, err = render(o)
		if err == nil {
			fmt.Print(out)
			return
		}
	}
	fmt.Fprintf(os.Stderr, "Error: %s\n", err)
	os.Exit(1)
}
