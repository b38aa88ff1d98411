package everflow

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// TestIDSet checks the set against a map: random, sequential and zero
// ids, duplicates, and growth well past the size hint.
func TestIDSet(t *testing.T) {
	t.Parallel()
	random := func(r *rand.Rand, _ int) (k [16]byte) {
		binary.LittleEndian.PutUint64(k[:8], r.Uint64())
		binary.LittleEndian.PutUint64(k[8:], r.Uint64())
		return k
	}
	sequential := func(_ *rand.Rand, i int) (k [16]byte) {
		binary.BigEndian.PutUint64(k[8:], uint64(i))
		return k
	}
	for _, tt := range []struct {
		name string
		hint int
		n    int
		key  func(*rand.Rand, int) [16]byte
	}{
		{"random", 5000, 5000, random},
		{"sequential from zero", 5000, 5000, sequential},
		{"grows past hint", 10, 20000, random},
		{"no hint", 0, 3000, sequential},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			r := rand.New(rand.NewPCG(1, 2))
			s := newIDSet(tt.hint)
			want := map[[16]byte]bool{}
			for i := range tt.n {
				k := tt.key(r, i)
				if i%3 == 0 && i > 0 {
					k = tt.key(r, i/2) // a repeat, for sequential keys
				}
				if got := s.add(k); got != !want[k] {
					t.Fatalf("add(%x) = %v, want %v", k, got, !want[k])
				}
				want[k] = true
			}
			for k := range want {
				if s.add(k) {
					t.Fatalf("add(%x) of a present id reported new", k)
				}
			}
			if s.len() != len(want) {
				t.Errorf("len = %d, want %d", s.len(), len(want))
			}
		})
	}
}
