// Package normal draws standard normal variates from a PCG generator
// (math/rand/v2) by the ziggurat method (Marsaglia & Tsang, J. Stat. Softw.
// 5(8), 2000; Doornik 2005): the normals of every simulator of the escape
// experiments. It has no project imports.
package normal
