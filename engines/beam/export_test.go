package beam

// Exported for the tests of package beam_test.
var (
	EncodeAccumulator = encodeAccumulator
	DecodeAccumulator = decodeAccumulator
)

// FlushRows is how many rows an accumulator buffers before it fits them.
const FlushRows = flushRows
