package backup

import "fmt"

// Retention says which backup points to keep; Prune deletes the objects
// that no kept point needs. The zero value keeps everything.
type Retention struct {
	KeepLast   int // the newest N points
	KeepDaily  int // the newest point of each of the last N days that have one
	KeepWeekly int // the newest point of each of the last N ISO weeks that have one
}

// IsZero reports whether r keeps everything.
func (r Retention) IsZero() bool { return r == Retention{} }

func (r Retention) check() error {
	if r.KeepLast < 0 || r.KeepDaily < 0 || r.KeepWeekly < 0 {
		return fmt.Errorf("retention counts must not be negative, got %+v", r)
	}
	return nil
}
