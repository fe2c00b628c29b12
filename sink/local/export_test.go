package local

// WritebackEvery is writebackEvery, for the tests.
const WritebackEvery = writebackEvery
