package escape

import (
	"errors"
	"math"
	"strings"
	"testing"
)

// TestCheckGrid: each rule of a sweep's grid, one bad grid each, and a good
// one; the errors name the list or the dynamics.
func TestCheckGrid(t *testing.T) {
	parse := func(d Dynamics) error { _, err := ParseDynamics(string(d)); return err }
	k, eta := SettingList{Name: "sharpness", Values: []float64{1, 2}}, SettingList{Name: "eta", Values: []float64{0.1}}
	B, D := SettingList{Name: "batch_size", Values: []float64{4}}, SettingList{Name: "temperature", Values: []float64{0.5}}
	none := func(name string) SettingList { return SettingList{Name: name} }
	for _, c := range []struct {
		dyns  []Dynamics
		lists []SettingList
		want  string // "" for no error
	}{
		{[]Dynamics{SGLD, SGDDiffusion}, []SettingList{k, eta, B, D}, ""},
		{[]Dynamics{GD}, []SettingList{k, eta, none("batch_size"), none("temperature")}, ""},
		{nil, []SettingList{k, eta}, `"dynamics" is empty: want a list such as ["sgld", "gd"]`},
		{[]Dynamics{SGLD, SGLD}, []SettingList{k, eta, D}, `dynamics "sgld" listed twice`},
		{[]Dynamics{"brownian"}, []SettingList{k, eta}, `"brownian"`},
		{[]Dynamics{SGLD}, []SettingList{k, eta, none("temperature")}, `"temperature" is empty`},
		{[]Dynamics{SGLD}, []SettingList{k, eta, B, D}, `"batch_size" is given but none of the dynamics [sgld] uses it`},
		{[]Dynamics{GD}, []SettingList{none("sharpness"), eta}, `"sharpness" is empty`},
		{[]Dynamics{GD}, []SettingList{k, {Name: "eta", Values: []float64{0.1, -1}}}, "eta -1: want positive numbers"},
		{[]Dynamics{SGDDiffusion}, []SettingList{k, eta, {Name: "batch_size", Values: []float64{math.Inf(1)}}}, "batch_size +Inf"},
	} {
		err := CheckGrid(c.dyns, parse, []Dynamics{SGLD, GD}, c.lists...)
		switch {
		case c.want == "" && err != nil:
			t.Errorf("%v %v: %v", c.dyns, c.lists, err)
		case c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)):
			t.Errorf("%v %v: error %v, want one containing %q", c.dyns, c.lists, err, c.want)
		}
	}
	var fe *FieldError
	if err := CheckGrid([]Dynamics{GD}, parse, nil, k, SettingList{Name: "eta", Values: []float64{0}}); !errors.As(err, &fe) || fe.Field != "eta" {
		t.Errorf("η = 0: %v, want a FieldError naming eta", err)
	}
}
