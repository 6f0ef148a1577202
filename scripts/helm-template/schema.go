package main

// values.schema.json: Helm validates the coalesced values against it before rendering. This is the
// JSON Schema subset runwarden's chart uses; a keyword outside it is an error, never silently ignored.

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"regexp"
	"sort"
	"strings"
)

var knownKeywords = map[string]bool{
	"$schema": true, "$id": true, "title": true, "description": true, "default": true, "examples": true,
	"type": true, "properties": true, "additionalProperties": true, "required": true, "enum": true,
	"pattern": true, "minimum": true, "maximum": true, "minLength": true, "items": true, "anyOf": true,
}

func validateSchemaFile(path string, values map[string]interface{}) error {
	data, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		return err
	}
	var schema map[string]interface{}
	if err := json.Unmarshal(data, &schema); err != nil {
		return fmt.Errorf("values.schema.json: %v", err)
	}
	var problems []string
	if err := validate(schema, values, "", &problems); err != nil {
		return fmt.Errorf("values.schema.json: %v", err)
	}
	if len(problems) > 0 {
		sort.Strings(problems)
		return fmt.Errorf("values don't meet the specifications of the schema(s) in the following chart(s):\n%s", strings.Join(problems, "\n"))
	}
	return nil
}

func typeOf(v interface{}) string {
	switch t := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case string:
		return "string"
	case float64:
		if t == math.Trunc(t) {
			return "integer"
		}
		return "number"
	case int, int64:
		return "integer"
	case []interface{}:
		return "array"
	case map[string]interface{}:
		return "object"
	}
	return fmt.Sprintf("%T", v)
}

func number(v interface{}) (float64, bool) {
	switch t := v.(type) {
	case float64:
		return t, true
	case int64:
		return float64(t), true
	case int:
		return float64(t), true
	}
	return 0, false
}

func where(path string) string {
	if path == "" {
		return "(root)"
	}
	return path
}

func validate(schema map[string]interface{}, v interface{}, path string, problems *[]string) error {
	for k := range schema {
		if !knownKeywords[k] {
			return fmt.Errorf("keyword %q at %s is not supported by this renderer", k, where(path))
		}
	}
	fail := func(format string, args ...interface{}) {
		*problems = append(*problems, fmt.Sprintf("- %s: %s", where(path), fmt.Sprintf(format, args...)))
	}
	if t, ok := schema["type"]; ok {
		var allowed []string
		switch tt := t.(type) {
		case string:
			allowed = []string{tt}
		case []interface{}:
			for _, x := range tt {
				allowed = append(allowed, fmt.Sprint(x))
			}
		}
		actual := typeOf(v)
		match := false
		for _, a := range allowed {
			if a == actual || (a == "number" && actual == "integer") {
				match = true
			}
		}
		if !match {
			fail("Invalid type. Expected: %s, given: %s", strings.Join(allowed, " or "), actual)
			return nil
		}
	}
	if enum, ok := schema["enum"].([]interface{}); ok {
		found := false
		for _, e := range enum {
			if fmt.Sprint(e) == fmt.Sprint(v) && typeOf(e) == typeOf(v) {
				found = true
			}
		}
		if !found {
			fail("must be one of %v, given %v", enum, v)
		}
	}
	if s, ok := v.(string); ok {
		if p, ok := schema["pattern"].(string); ok {
			re, err := regexp.Compile(p)
			if err != nil {
				return fmt.Errorf("pattern at %s: %v", where(path), err)
			}
			if !re.MatchString(s) {
				fail("Does not match pattern '%s'", p)
			}
		}
		if m, ok := number(schema["minLength"]); ok && float64(len(s)) < m {
			fail("String length must be greater than or equal to %v", m)
		}
	}
	if n, ok := number(v); ok {
		if m, ok := number(schema["minimum"]); ok && n < m {
			fail("Must be greater than or equal to %v", m)
		}
		if m, ok := number(schema["maximum"]); ok && n > m {
			fail("Must be less than or equal to %v", m)
		}
	}
	if obj, ok := v.(map[string]interface{}); ok {
		props, _ := schema["properties"].(map[string]interface{})
		if req, ok := schema["required"].([]interface{}); ok {
			for _, r := range req {
				if _, present := obj[fmt.Sprint(r)]; !present {
					fail("%s is required", r)
				}
			}
		}
		for k, x := range obj {
			child := path + "." + k
			if path == "" {
				child = k
			}
			if ps, ok := props[k].(map[string]interface{}); ok {
				if err := validate(ps, x, child, problems); err != nil {
					return err
				}
				continue
			}
			switch ap := schema["additionalProperties"].(type) {
			case bool:
				if !ap {
					fail("Additional property %s is not allowed", k)
				}
			case map[string]interface{}:
				if err := validate(ap, x, child, problems); err != nil {
					return err
				}
			}
		}
	}
	if list, ok := v.([]interface{}); ok {
		if items, ok := schema["items"].(map[string]interface{}); ok {
			for i, x := range list {
				if err := validate(items, x, fmt.Sprintf("%s.%d", path, i), problems); err != nil {
					return err
				}
			}
		}
	}
	if anyOf, ok := schema["anyOf"].([]interface{}); ok {
		var best []string
		for _, alt := range anyOf {
			altSchema, _ := alt.(map[string]interface{})
			var sub []string
			if err := validate(altSchema, v, path, &sub); err != nil {
				return err
			}
			if len(sub) == 0 {
				return nil
			}
			if best == nil || len(sub) < len(best) {
				best = sub
			}
		}
		fail("Must validate at least one schema (anyOf)")
		*problems = append(*problems, best...)
	}
	return nil
}
