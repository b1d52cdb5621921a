// Package eigen is the dense symmetric eigensolver of sgn: all eigenvalues
// of a symmetric matrix and the eigenvectors of the largest ones (Top), by
// Householder tridiagonalisation, the Pal–Walker–Kahan QL/QR iteration and
// inverse iteration (Golub & Van Loan, Matrix Computations, 4th ed., §8.3
// and §8.2.2; the path of LAPACK's dsyevx), every pair checked on the matrix
// and the complete solver (dsyev) used where the check fails. Both the
// Hessian's dense decomposition (hessian.Decompose) and the covariance
// analysis in its eigenbasis use it.
package eigen
