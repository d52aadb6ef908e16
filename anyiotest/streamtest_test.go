package anyiotest_test

import (
	"testing"

	"github.com/anyio-go/anyio"
	"github.com/anyio-go/anyio/anyiotest"
	"github.com/anyio-go/anyio/streams/stapled"
)

// The suites' own tests: they pass on the reference implementations, the
// memory object streams and the byte streams over them. (Every stream type
// runs them in its own package.)

func memoryPair[T any](buffer int) func(t *testing.T) (a, b anyio.ObjectStream[T]) {
	return func(t *testing.T) (a, b anyio.ObjectStream[T]) {
		s1, r1 := anyio.NewMemoryObjectStream[T](buffer)
		s2, r2 := anyio.NewMemoryObjectStream[T](buffer)
		return stapled.NewObjectStream(s1, r2), stapled.NewObjectStream(s2, r1)
	}
}

func TestTestObjectStream(t *testing.T) {
	t.Run("int/rendezvous", func(t *testing.T) { anyiotest.TestObjectStream(t, memoryPair[int](0)) })
	t.Run("string/buffered", func(t *testing.T) { anyiotest.TestObjectStream(t, memoryPair[string](16)) })
	t.Run("struct/unbounded", func(t *testing.T) {
		type item struct {
			A int
			B []byte
			C map[string]float64
		}
		anyiotest.TestObjectStream(t, memoryPair[item](anyio.Unbounded))
	})
}

func TestTestByteStream(t *testing.T) {
	anyiotest.TestByteStream(t, func(t *testing.T) (a, b anyio.ByteStream) {
		oa, ob := memoryPair[[]byte](2)(t)
		return anyio.ObjectToByteStream(oa), anyio.ObjectToByteStream(ob)
	})
}
