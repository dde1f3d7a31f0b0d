package beam

// Exported for the tests of package beam_test.
var (
	EncodeAccumulator = encodeAccumulator
	DecodeAccumulator = decodeAccumulator
)
