// Package emf checks CloudWatch Embedded Metric Format lines against the
// specification's rules and reads their values, for tests of what jwtgate's
// functions write to their logs.
//
// The rules checked are those of the EMF specification
// (docs.aws.amazon.com, "Specification: Embedded metric format"): a root
// object with an _aws member; _aws.Timestamp an integer of epoch
// milliseconds; _aws.CloudWatchMetrics an array of directives, each with a
// non-blank Namespace of at most 1024 characters, Dimensions an array of
// dimension sets of at most 30 keys each, every key naming a root member
// whose value is a string, and Metrics an array of at most 100 definitions,
// each with a Name naming a root member that is a number or an array of at
// most 100 numbers, an optional Unit from CloudWatch's list and an
// optional StorageResolution of 1 or 60.
package emf

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strings"
)

// units are CloudWatch's metric units, the only ones EMF accepts.
var units = map[string]bool{
	"Seconds": true, "Microseconds": true, "Milliseconds": true, "Bytes": true, "Kilobytes": true,
	"Megabytes": true, "Gigabytes": true, "Terabytes": true, "Bits": true, "Kilobits": true, "Megabits": true,
	"Gigabits": true, "Terabits": true, "Percent": true, "Count": true, "Bytes/Second": true,
	"Kilobytes/Second": true, "Megabytes/Second": true, "Gigabytes/Second": true, "Terabytes/Second": true,
	"Bits/Second": true, "Kilobits/Second": true, "Megabits/Second": true, "Gigabits/Second": true,
	"Terabits/Second": true, "Count/Second": true, "None": true,
}

// Metric is one metric a line reports: its namespace, the dimensions of
// the set it was reported under, its unit and its values.
type Metric struct {
	Namespace  string
	Dimensions map[string]string
	Unit       string
	Values     []float64
}

// Sum is the sum of m's values.
func (m Metric) Sum() float64 {
	var s float64
	for _, v := range m.Values {
		s += v
	}
	return s
}

// Line is a valid EMF line: its timestamp and every metric of every
// directive and dimension set, keyed by name.
type Line struct {
	TimestampMillis int64
	Metrics         map[string][]Metric
}

// Parse validates one line and returns what it reports, or the first rule
// it breaks.
func Parse(line []byte) (Line, error) {
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	var root map[string]any
	if err := dec.Decode(&root); err != nil {
		return Line{}, fmt.Errorf("emf: not a JSON object: %w", err)
	}
	if dec.More() {
		return Line{}, errors.New("emf: more than one JSON value on the line")
	}
	aws, ok := root["_aws"].(map[string]any)
	if !ok {
		return Line{}, errors.New("emf: no _aws object")
	}
	ts, ok := aws["Timestamp"].(json.Number)
	if !ok {
		return Line{}, errors.New("emf: _aws.Timestamp is not a number")
	}
	millis, err := ts.Int64()
	if err != nil || millis < 0 {
		return Line{}, fmt.Errorf("emf: _aws.Timestamp %s is not a non-negative integer", ts)
	}
	directives, ok := aws["CloudWatchMetrics"].([]any)
	if !ok {
		return Line{}, errors.New("emf: _aws.CloudWatchMetrics is not an array")
	}
	out := Line{TimestampMillis: millis, Metrics: map[string][]Metric{}}
	for i, raw := range directives {
		d, ok := raw.(map[string]any)
		if !ok {
			return Line{}, fmt.Errorf("emf: directive %d is not an object", i)
		}
		ns, ok := d["Namespace"].(string)
		if !ok || strings.TrimSpace(ns) == "" || len(ns) > 1024 {
			return Line{}, fmt.Errorf("emf: directive %d: Namespace must be a non-blank string of at most 1024 characters", i)
		}
		sets, err := dimensionSets(root, d["Dimensions"])
		if err != nil {
			return Line{}, fmt.Errorf("emf: directive %d: %w", i, err)
		}
		defs, ok := d["Metrics"].([]any)
		if !ok || len(defs) > 100 {
			return Line{}, fmt.Errorf("emf: directive %d: Metrics must be an array of at most 100 definitions", i)
		}
		for j, rawDef := range defs {
			name, unit, values, err := definition(root, rawDef)
			if err != nil {
				return Line{}, fmt.Errorf("emf: directive %d metric %d: %w", i, j, err)
			}
			for _, set := range sets {
				out.Metrics[name] = append(out.Metrics[name], Metric{Namespace: ns, Dimensions: set, Unit: unit, Values: values})
			}
		}
	}
	return out, nil
}

func dimensionSets(root map[string]any, raw any) ([]map[string]string, error) {
	list, ok := raw.([]any)
	if !ok {
		return nil, errors.New("Dimensions is not an array")
	}
	var sets []map[string]string
	for _, rawSet := range list {
		keys, ok := rawSet.([]any)
		if !ok {
			return nil, errors.New("a dimension set is not an array")
		}
		if len(keys) > 30 {
			return nil, errors.New("a dimension set has more than 30 keys")
		}
		set := map[string]string{}
		for _, rawKey := range keys {
			k, ok := rawKey.(string)
			if !ok {
				return nil, errors.New("a dimension key is not a string")
			}
			v, ok := root[k].(string)
			if !ok {
				return nil, fmt.Errorf("dimension %q names no root string member", k)
			}
			if len(v) > 1024 || strings.TrimSpace(v) == "" {
				return nil, fmt.Errorf("dimension %q has a blank or over-long value", k)
			}
			set[k] = v
		}
		sets = append(sets, set)
	}
	if len(sets) == 0 {
		sets = append(sets, map[string]string{})
	}
	return sets, nil
}

func definition(root map[string]any, raw any) (string, string, []float64, error) {
	def, ok := raw.(map[string]any)
	if !ok {
		return "", "", nil, errors.New("not an object")
	}
	name, ok := def["Name"].(string)
	if !ok || name == "" || len(name) > 1024 {
		return "", "", nil, errors.New("Name must be a string of 1 to 1024 characters")
	}
	unit := "None"
	if u, has := def["Unit"]; has {
		s, ok := u.(string)
		if !ok || !units[s] {
			return "", "", nil, fmt.Errorf("%s: Unit %v is not a CloudWatch unit", name, u)
		}
		unit = s
	}
	if r, has := def["StorageResolution"]; has {
		n, ok := r.(json.Number)
		if !ok || (n.String() != "1" && n.String() != "60") {
			return "", "", nil, fmt.Errorf("%s: StorageResolution must be 1 or 60", name)
		}
	}
	var values []float64
	switch v := root[name].(type) {
	case json.Number:
		f, err := number(v)
		if err != nil {
			return "", "", nil, fmt.Errorf("%s: %w", name, err)
		}
		values = []float64{f}
	case []any:
		if len(v) > 100 {
			return "", "", nil, fmt.Errorf("%s: more than 100 values", name)
		}
		for _, e := range v {
			n, ok := e.(json.Number)
			if !ok {
				return "", "", nil, fmt.Errorf("%s: a value is not a number", name)
			}
			f, err := number(n)
			if err != nil {
				return "", "", nil, fmt.Errorf("%s: %w", name, err)
			}
			values = append(values, f)
		}
	default:
		return "", "", nil, fmt.Errorf("%s names no root number or array of numbers", name)
	}
	return name, unit, values, nil
}

func number(n json.Number) (float64, error) {
	f, err := n.Float64()
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, fmt.Errorf("value %s is not a finite number", n)
	}
	return f, nil
}

// Lines parses every line of out that has an _aws member (the others are
// ordinary log lines) and fails on the first invalid one.
func Lines(out []byte) ([]Line, error) {
	var lines []Line
	for i, raw := range bytes.Split(out, []byte("\n")) {
		if !bytes.Contains(raw, []byte(`"_aws"`)) {
			continue
		}
		l, err := Parse(raw)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", i+1, err)
		}
		lines = append(lines, l)
	}
	return lines, nil
}

// Totals sums each metric's values over lines, whatever its dimensions
// (a metric reported under two dimension sets is counted once: its first
// set).
func Totals(lines []Line) map[string]float64 {
	t := map[string]float64{}
	for _, l := range lines {
		for name, ms := range l.Metrics {
			t[name] += ms[0].Sum()
		}
	}
	return t
}
