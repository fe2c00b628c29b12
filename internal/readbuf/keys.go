package readbuf

const (
	// keyCacheSize is the number of slots of a KeyCache (a power of two).
	keyCacheSize = 512
	// maxCachedKey is the longest key a KeyCache keeps, in bytes.
	maxCachedKey = 48
)

// A KeyCache reuses the string of an earlier identical map key: the records
// of one table repeat the same keys millions of times. It holds one key per
// slot, the last one seen; its zero value is empty and ready to use.
type KeyCache struct {
	slots [keyCacheSize]string
}

// String returns b as a string, without allocating if the cache holds it.
func (c *KeyCache) String(b []byte) string {
	if len(b) == 0 || len(b) > maxCachedKey {
		return string(b)
	}
	h := uint32(2166136261) // FNV-1a
	for _, x := range b {
		h = (h ^ uint32(x)) * 16777619
	}
	slot := &c.slots[h%keyCacheSize]
	if *slot == string(b) { // no allocation
		return *slot
	}
	s := string(b)
	*slot = s
	return s
}
