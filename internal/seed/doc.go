// Package seed derives independent, reproducible random streams from one
// user seed with SplitMix64 (Steele, Lea & Flood, "Fast splittable
// pseudorandom number generators", OOPSLA 2014), so that results depend on
// the seed and the work item only, never on workers or sharding.
package seed
