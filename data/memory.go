package data

import (
	"fmt"

	"github.com/sgn-project/sgn/internal/memlimit"
)

// LoadBytes bounds the bytes Load holds for the selection o of files of
// the split's nominal size (longer files make Load's rows grow as their
// images arrive): the rows (N×D float64 features, N labels and N file
// indices), the random draw (its map of moved indices and the rows' map),
// the decompression buffers (three chunks of 512 images), the readers'
// fixed state, and the decompressor's tables, rebuilt for every deflate
// block (about one byte in twelve of what is decompressed, garbage at
// once). ExportBytes adds what ExportSet holds.
//
// For a data file (o.File) it is FileBytes, from the file's headers.
func LoadBytes(o Options) (float64, error) {
	if err := o.Validate(); err != nil {
		return 0, err
	}
	if o.File != "" {
		return FileBytes(o)
	}
	side := Side / o.Pool
	N, D := float64(o.NominalSize()), float64(side*side)
	b := 8*N*(D+2) + 3*512*(Side*Side+1) + 1<<20
	read := N // images decompressed: up to the last one selected
	if o.Random > 0 {
		b += 3 * 64 * N // the two maps: about 64 bytes an entry
		n, _ := splitSize(o.Split)
		read = float64(n)
	}
	return b + read*(Side*Side+1)/12, nil
}

// ExportBytes bounds the bytes of loading the selection o and writing it
// with ExportSet: LoadBytes and the labels as int64.
func ExportBytes(o Options) (float64, error) {
	b, err := LoadBytes(o)
	if err != nil {
		return 0, err
	}
	if o.File != "" {
		info, err := InspectFile(o.File)
		if err != nil {
			return 0, err
		}
		return b + 8*float64(info.rows(o)), nil
	}
	return b + 8*float64(o.NominalSize()), nil
}

// CheckExportMemory returns a *memlimit.Error when loading the selection o
// and writing it (ExportBytes) needs more than limit bytes, naming first,
// random and pool as what to change; nil when it fits or limit is 0. A bad
// selection is ExportBytes' error.
func CheckExportMemory(o Options, limit int64) error {
	need, err := ExportBytes(o)
	if err != nil {
		return err
	}
	return memlimit.Check(need, limit, fmt.Sprintf("the %s selection at pool %d", o.Split, o.Pool), nil,
		memlimit.Lower("first"), memlimit.Lower("random"), memlimit.Raise("pool"))
}

// CheckFile checks the selection o of a data file (o.File; nil for MNIST,
// whose selections the split bounds) from the file's headers, before
// anything of the arrays' size is allocated: First or Random beyond its
// rows is a *RowsError (CheckRows), rows that need more than limit bytes
// to load (FileBytes) a *memlimit.Error naming first and random.
func CheckFile(o Options, limit int64) error {
	if o.File == "" {
		return nil
	}
	if err := CheckRows(o.File, o.First, o.Random); err != nil {
		return err
	}
	need, err := FileBytes(o)
	if err != nil {
		return err
	}
	return memlimit.Check(need, limit, "(the rows selected)", []memlimit.Setting{{Name: "data", Value: o.File}}, memlimit.Lower("first"), memlimit.Lower("random"))
}
