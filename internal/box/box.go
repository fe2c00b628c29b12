// Package box boxes decoded values into interfaces from slabs: a restore
// of a million records boxes millions of strings and numbers, and taking
// them a thousand at a time from one allocation, rather than one
// allocation each, halves the work of the allocator and leaves the garbage
// collector fewer objects to track.
//
// A slab lives as long as one of the values boxed in it does. The slabs of
// a load hold no more than the values they were cut for: a value that is
// later deleted or replaced keeps its slab's neighbours' memory, never more
// than the load allocated.
package box

import "unsafe"

const (
	slabValues   = 1024     // values per slab of strings or numbers
	slabBytes    = 16 << 10 // bytes per slab of string contents
	maxSlabbed   = 256      // longer strings get an allocation of their own
	directBoxMax = 256      // integers below this are boxed without allocating
)

// Arena boxes values from slabs. The zero Arena is ready to use; it is not
// safe for concurrent use.
type Arena struct {
	bytes  []byte
	strs   []string
	ints   []int64
	floats []float64
}

// eface is the layout of an interface holding a value that is not a
// pointer: its type, and a pointer to the value.
type eface struct {
	typ  unsafe.Pointer
	data unsafe.Pointer
}

func typeOf(v any) unsafe.Pointer { return (*eface)(unsafe.Pointer(&v)).typ }

var (
	stringType  = typeOf("")
	int64Type   = typeOf(int64(0))
	float64Type = typeOf(float64(0))
)

// boxed returns the interface of type typ whose value is at p. The value
// must never change afterwards: interfaces are immutable.
func boxed(typ, p unsafe.Pointer) any {
	var v any
	e := (*eface)(unsafe.Pointer(&v))
	e.typ, e.data = typ, p
	return v
}

// String returns b as a string in an interface: any(string(b)).
func (a *Arena) String(b []byte) any {
	if len(b) == 0 {
		return ""
	}
	var s string
	if len(b) <= maxSlabbed {
		if len(a.bytes) < len(b) {
			a.bytes = make([]byte, slabBytes)
		}
		n := copy(a.bytes, b)
		s = unsafe.String(&a.bytes[0], n)
		a.bytes = a.bytes[n:]
	} else {
		s = string(b)
	}
	return boxed(stringType, next(&a.strs, s))
}

// Int returns any(i).
func (a *Arena) Int(i int64) any {
	if uint64(i) < directBoxMax {
		return i // the runtime boxes these without allocating
	}
	return boxed(int64Type, next(&a.ints, i))
}

// Float returns any(f).
func (a *Arena) Float(f float64) any {
	return boxed(float64Type, next(&a.floats, f))
}

// next stores v in the next free element of the slab *free, cutting a new
// slab when it is used up, and returns the element's address.
func next[T any](free *[]T, v T) unsafe.Pointer {
	if len(*free) == 0 {
		*free = make([]T, slabValues)
	}
	p := &(*free)[0]
	*p = v
	*free = (*free)[1:]
	return unsafe.Pointer(p)
}
