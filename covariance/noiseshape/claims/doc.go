// Package claims judges the noise-shape claims from noise.json (written by
// noiseshape.Report.Write), one rule per claim: across minibatches the
// noise at batch size B is Gaussian by effect size, beside the central
// limit's κ/B (Xie, Sato & Sugiyama 2021); pooled across parameters it looks heavy-tailed
// (Simsekli, Sagun & Gürbüzbalaban 2019); and that heavy tail is the
// pooling's, not an α-stable noise's, by how the per-coordinate tail
// index moves with B.
package claims
