package everflow

import (
	"encoding/binary"
	"math/bits"
)

// idSet is the dedupe set of conversion ids: open addressing with linear
// probing over a flat slice of 16-byte keys (see idKey). At its 0.75 load
// it costs about 21 bytes per id, against about 38 for a
// map[[16]byte]struct{} of a million ids, and it is the only part of a
// day's memory that grows with the number of conversions.
type idSet struct {
	slots []idSlot
	n     int  // ids held, the zero id included
	zero  bool // the all-zero id, which the empty slot also is
}

type idSlot = [16]byte

// maxLoad bounds the share of used slots; at 0.8 a lookup of an absent id
// probes about 13 slots of one or two cache lines.
const (
	initialLoad = 0.75
	maxLoad     = 0.8
)

// newIDSet returns a set sized for hint ids without growing.
func newIDSet(hint int) *idSet {
	return &idSet{slots: make([]idSlot, max(8, int(float64(hint)/initialLoad)+1))}
}

// add inserts k and reports whether it was new.
func (s *idSet) add(k [16]byte) bool {
	if k == (idSlot{}) {
		if s.zero {
			return false
		}
		s.zero = true
		s.n++
		return true
	}
	if float64(s.n+1) > maxLoad*float64(len(s.slots)) {
		s.grow()
	}
	if !insert(s.slots, k) {
		return false
	}
	s.n++
	return true
}

// len returns the number of ids in the set.
func (s *idSet) len() int { return s.n }

func (s *idSet) grow() {
	old := s.slots
	s.slots = make([]idSlot, 2*len(old))
	for _, k := range old {
		if k != (idSlot{}) {
			insert(s.slots, k)
		}
	}
}

// insert puts k (not zero) in slots unless present; it reports whether it
// did.
func insert(slots []idSlot, k idSlot) bool {
	i := slotOf(k, len(slots))
	for {
		switch slots[i] {
		case k:
			return false
		case idSlot{}:
			slots[i] = k
			return true
		}
		if i++; i == len(slots) {
			i = 0
		}
	}
}

// slotOf maps k to [0, n): both halves mixed (ids made of counters differ
// in few bits) and the 64-bit hash scaled by multiplication, so n need not
// be a power of two.
func slotOf(k idSlot, n int) int {
	h := binary.LittleEndian.Uint64(k[:8]) ^ bits.RotateLeft64(binary.LittleEndian.Uint64(k[8:]), 29)
	// fmix64 from MurmurHash3.
	h ^= h >> 33
	h *= 0xff51afd7ed558ccd
	h ^= h >> 33
	h *= 0xc4ceb9fe1a85ec53
	h ^= h >> 33
	hi, _ := bits.Mul64(h, uint64(n))
	return int(hi)
}
