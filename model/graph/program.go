package graph

import (
	"fmt"

	G "gorgonia.org/gorgonia"
)

// graphProgram runs a Gorgonia expression graph: the operations of the
// subgraph that computes its roots, in Gorgonia's topological order
// (gorgonia.Sort), each called through its gorgonia.Op Do method on its
// arguments' values, in the calling goroutine.
//
// It does what Gorgonia's tape machine does for these graphs, whose
// operations each write into a buffer of their own, without its per-run
// costs: tapeMachine.RunAll locks the calling goroutine to its OS thread
// and runs the program on a new goroutine, so every step pays two thread
// hand-offs (two futex wake-ups, on a virtual machine often a sleeping
// vCPU's wake-up), and allocates its bookkeeping. TestGraphProgramMatchesTapeMachine
// checks that both give the same bits.
type graphProgram struct {
	roots  G.Nodes       // what the program computes
	leaves []*G.Node     // input nodes (variables bound with Let, constants)
	leafAt []int         // slot of each leaf's value
	steps  []programStep // operations in execution order
	vals   []G.Value     // values by slot
	slot   map[*G.Node]int
}

// programStep is one operation: its arguments' slots and its result's.
type programStep struct {
	node *G.Node
	op   G.Op
	args []int
	out  int
	argv []G.Value // scratch for the arguments
}

// compileGraph orders the subgraph of g that computes roots.
func compileGraph(g *G.ExprGraph, roots G.Nodes) (*graphProgram, error) {
	sub := g.SubgraphRoots(roots...)
	sorted, err := G.Sort(sub)
	if err != nil {
		return nil, fmt.Errorf("sorting the graph: %w", err)
	}
	p := &graphProgram{roots: roots, slot: make(map[*G.Node]int, len(sorted))}
	// Sort puts the roots first: run from the end.
	for i := len(sorted) - 1; i >= 0; i-- {
		n := sorted[i]
		at := len(p.vals)
		p.slot[n] = at
		p.vals = append(p.vals, nil)
		op := n.Op()
		if op == nil {
			p.leaves = append(p.leaves, n)
			p.leafAt = append(p.leafAt, at)
			continue
		}
		st := programStep{node: n, op: op, out: at}
		// From lists a node's children in argument order.
		it := sub.From(n.ID())
		for it.Next() {
			c, ok := it.Node().(*G.Node)
			if !ok {
				return nil, fmt.Errorf("node %v: child %v is a %T", n, it.Node(), it.Node())
			}
			j, ok := p.slot[c]
			if !ok {
				return nil, fmt.Errorf("node %v: its argument %v comes later in the sorted graph", n, c)
			}
			st.args = append(st.args, j)
		}
		if a := op.Arity(); a >= 0 && a != len(st.args) {
			return nil, fmt.Errorf("node %v: %d arguments, its operation takes %d", n, len(st.args), a)
		}
		st.argv = make([]G.Value, len(st.args))
		p.steps = append(p.steps, st)
	}
	// An operation whose value another computes with its own work does
	// so only when that other runs first in this order.
	at := make(map[G.Op]int, len(p.steps))
	for i, st := range p.steps {
		at[st.op] = i
	}
	for i, st := range p.steps {
		if f, ok := st.op.(follower); ok {
			j, ok := at[f.leader()]
			f.setFused(ok && j < i)
		}
	}
	return p, nil
}

// follower is an operation whose value another operation of the graph
// (its leader) can compute along with its own, from the same arguments:
// the program lets it (setFused) when the leader runs first.
type follower interface {
	leader() G.Op
	setFused(bool)
}

// run executes the program once on the leaves' current values.
func (p *graphProgram) run() error {
	for i, n := range p.leaves {
		v := n.Value()
		if v == nil {
			return fmt.Errorf("input %v has no value", n)
		}
		p.vals[p.leafAt[i]] = v
	}
	for i := range p.steps {
		st := &p.steps[i]
		for k, j := range st.args {
			st.argv[k] = p.vals[j]
		}
		v, err := st.op.Do(st.argv...)
		if err != nil {
			return fmt.Errorf("%v: %w", st.node, err)
		}
		p.vals[st.out] = v
	}
	return nil
}

// value returns n's value after the last run (nil if n is not in the program).
func (p *graphProgram) value(n *G.Node) G.Value {
	if j, ok := p.slot[n]; ok {
		return p.vals[j]
	}
	return nil
}
