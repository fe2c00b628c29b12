// Package dictdbtest compares databases, for tests of code that backs up
// and restores them:
//
//	if err := dictdbtest.Diff(want, got); err != nil {
//		t.Fatal(err)
//	}
package dictdbtest

import (
	"fmt"
	"reflect"

	"github.com/dictdb/dictdb-go/dictdb"
)

// Diff returns nil if want and got hold the same tables, specs, records,
// values and value types, at the same sequence number, or an error saying
// where they differ.
func Diff(want, got *dictdb.DB) error {
	if w, g := want.Sequence(), got.Sequence(); w != g {
		return fmt.Errorf("sequence %d, want %d", g, w)
	}
	if w, g := want.TableNames(), got.TableNames(); !reflect.DeepEqual(w, g) {
		return fmt.Errorf("tables %v, want %v", g, w)
	}
	for _, name := range want.TableNames() {
		wt, _ := want.Table(name)
		gt, _ := got.Table(name)
		if wt.PrimaryKey() != gt.PrimaryKey() {
			return fmt.Errorf("table %s: primary key %q, want %q", name, gt.PrimaryKey(), wt.PrimaryKey())
		}
		if !reflect.DeepEqual(wt.Schema(), gt.Schema()) {
			return fmt.Errorf("table %s: schema %v, want %v", name, gt.Schema(), wt.Schema())
		}
		wr, gr := wt.Select(nil), gt.Select(nil)
		if len(wr) != len(gr) {
			return fmt.Errorf("table %s: %d records, want %d", name, len(gr), len(wr))
		}
		for i := range wr {
			if !reflect.DeepEqual(wr[i], gr[i]) {
				return fmt.Errorf("table %s: record %d is %v, want %v", name, i, gr[i], wr[i])
			}
		}
	}
	return nil
}
