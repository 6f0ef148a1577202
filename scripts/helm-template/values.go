package main

// Values: chart defaults, then -f files, then --set / --set-string, coalesced as Helm does (maps merge
// deeply, a null from the user deletes the default). Numbers from YAML files are float64 (Helm reads
// values through JSON), numbers from --set are int64 (Helm's strvals), so templates need `int` casts
// for comparisons exactly as with the real helm.

import (
	"fmt"
	"os"
	"strconv"
	"strings"

	yaml "gopkg.in/yaml.v3"
)

func readValuesFile(path string) (map[string]interface{}, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return parseValues(data, path)
}

func parseValues(data []byte, name string) (map[string]interface{}, error) {
	var raw interface{}
	if err := yaml.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if raw == nil {
		return map[string]interface{}{}, nil
	}
	m, ok := normalize(raw).(map[string]interface{})
	if !ok {
		return nil, fmt.Errorf("%s: values must be a YAML mapping", name)
	}
	return m, nil
}

// normalize turns YAML-decoded data into what Helm's JSON round trip gives: string keys, float64 numbers.
func normalize(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		for k, x := range t {
			t[k] = normalize(x)
		}
		return t
	case map[interface{}]interface{}:
		m := make(map[string]interface{}, len(t))
		for k, x := range t {
			m[fmt.Sprint(k)] = normalize(x)
		}
		return m
	case []interface{}:
		for i, x := range t {
			t[i] = normalize(x)
		}
		return t
	case int:
		return float64(t)
	case int64:
		return float64(t)
	case uint64:
		return float64(t)
	default:
		return v
	}
}

// coalesce merges src over dst (src wins), deeply for maps; a nil in src deletes the key.
func coalesce(dst, src map[string]interface{}) map[string]interface{} {
	for k, sv := range src {
		if sv == nil {
			delete(dst, k)
			continue
		}
		sm, sIsMap := sv.(map[string]interface{})
		dm, dIsMap := dst[k].(map[string]interface{})
		if sIsMap && dIsMap {
			dst[k] = coalesce(dm, sm)
		} else {
			dst[k] = sv
		}
	}
	return dst
}

// applySet parses one --set argument ("a.b=1,c[0].d=x,e={p,q}") into values.
func applySet(values map[string]interface{}, arg string, asString bool) error {
	for _, assignment := range splitUnescaped(arg, ',', true) {
		eq := strings.IndexByte(assignment, '=')
		if eq <= 0 {
			return fmt.Errorf("--set %q: expected key=value", assignment)
		}
		path, err := parseKeyPath(assignment[:eq])
		if err != nil {
			return fmt.Errorf("--set %q: %v", assignment, err)
		}
		raw := assignment[eq+1:]
		var value interface{}
		if !asString && strings.HasPrefix(raw, "{") && strings.HasSuffix(raw, "}") {
			list := []interface{}{}
			if inner := raw[1 : len(raw)-1]; inner != "" {
				for _, item := range splitUnescaped(inner, ',', false) {
					list = append(list, typedValue(item, asString))
				}
			}
			value = list
		} else {
			value = typedValue(unescape(raw), asString)
		}
		if err := setPath(values, path, value); err != nil {
			return fmt.Errorf("--set %q: %v", assignment, err)
		}
	}
	return nil
}

type pathPart struct {
	key   string
	index int // -1: a map key
}

func parseKeyPath(key string) ([]pathPart, error) {
	var parts []pathPart
	for _, seg := range splitUnescaped(key, '.', false) {
		seg = unescape(seg)
		name := seg
		var indexes []int
		for strings.HasSuffix(name, "]") {
			open := strings.LastIndexByte(name, '[')
			if open < 0 {
				return nil, fmt.Errorf("unbalanced [ in %q", seg)
			}
			n, err := strconv.Atoi(name[open+1 : len(name)-1])
			if err != nil || n < 0 {
				return nil, fmt.Errorf("bad list index in %q", seg)
			}
			indexes = append([]int{n}, indexes...)
			name = name[:open]
		}
		if name == "" {
			return nil, fmt.Errorf("empty key in %q", key)
		}
		parts = append(parts, pathPart{key: name, index: -1})
		for _, n := range indexes {
			parts = append(parts, pathPart{index: n})
		}
	}
	return parts, nil
}

func setPath(values map[string]interface{}, path []pathPart, value interface{}) error {
	var container interface{} = values
	var assign func(interface{})
	assign = nil
	for i, p := range path {
		last := i == len(path)-1
		var child interface{}
		if p.index < 0 {
			m, ok := container.(map[string]interface{})
			if !ok {
				return fmt.Errorf("%s is not a map", p.key)
			}
			if last {
				if value == nil {
					// As in Helm, a null from the user removes the chart's default.
					delete(m, p.key)
				} else {
					m[p.key] = value
				}
				return nil
			}
			child = m[p.key]
			key := p.key
			assign = func(v interface{}) { m[key] = v }
		} else {
			list, ok := container.([]interface{})
			if !ok {
				list = []interface{}{}
			}
			for len(list) <= p.index {
				list = append(list, nil)
			}
			assign(list)
			if last {
				list[p.index] = value
				return nil
			}
			child = list[p.index]
			idx := p.index
			assign = func(v interface{}) { list[idx] = v }
		}
		if path[i+1].index >= 0 {
			if _, ok := child.([]interface{}); !ok {
				child = []interface{}{}
				assign(child)
			}
		} else if _, ok := child.(map[string]interface{}); !ok {
			child = map[string]interface{}{}
			assign(child)
		}
		container = child
	}
	return nil
}

func typedValue(s string, asString bool) interface{} {
	if asString {
		return s
	}
	switch s {
	case "true":
		return true
	case "false":
		return false
	case "null":
		return nil
	}
	if s == "0" || (s != "" && s[0] != '0' && !strings.HasPrefix(s, "-0")) {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
	}
	return s
}

// splitUnescaped splits on sep outside backslash escapes (and outside {…} when braces is true).
func splitUnescaped(s string, sep byte, braces bool) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '\\':
			i++
		case braces && s[i] == '{':
			depth++
		case braces && s[i] == '}' && depth > 0:
			depth--
		case s[i] == sep && depth == 0:
			out = append(out, s[start:i])
			start = i + 1
		}
	}
	return append(out, s[start:])
}

func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
