package dictdb

import "runtime"

// SetParallelLoad makes a table go to two workers at least (whatever
// GOMAXPROCS is) after min records, in batches of at most batch records,
// records larger than MaxRawRecord bytes staying on the reading goroutine,
// for the tests of package dictdb_test, and returns what undoes it. min < 0
// keeps every table on the reading goroutine.
func SetParallelLoad(min, batch int) (undo func()) {
	oldMin, oldBatch, oldRaw, oldWorkers := parallelLoadMin, batchRecords, maxRawRecord, loadWorkers
	if min < 0 {
		min = 1 << 62
	}
	parallelLoadMin, batchRecords, maxRawRecord = min, batch, MaxRawRecord
	loadWorkers = func() int { return max(2, runtime.GOMAXPROCS(0)) }
	return func() {
		parallelLoadMin, batchRecords, maxRawRecord, loadWorkers = oldMin, oldBatch, oldRaw, oldWorkers
	}
}

// MaxRawRecord is the largest record the workers decode in the tests.
const MaxRawRecord = 4096
