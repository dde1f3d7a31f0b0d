package beam

import (
	"reflect"

	"github.com/apache/beam/sdks/v2/go/pkg/beam"
	"github.com/apache/beam/sdks/v2/go/pkg/beam/register"

	"github.com/sextant-ml/sextant/drift"
)

// Beam needs its functions, types and coders registered before beam.Init,
// in every binary that runs the pipeline (launcher and workers alike), so
// this is done at package initialisation, as Beam's own transforms do. It
// registers nothing else and starts nothing.
func init() {
	beam.RegisterCoder(reflect.TypeOf((*Accumulator)(nil)), encodeAccumulator, decodeAccumulator)
	beam.RegisterCoder(reflect.TypeOf((*drift.Profile)(nil)), encodeProfile, decodeProfile)
	beam.RegisterType(reflect.TypeOf((*Row)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*binEdges)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*binnedRow)(nil)).Elem())
	beam.RegisterType(reflect.TypeOf((*binCounts)(nil)).Elem())

	register.Combiner3[*Accumulator, Row, *drift.Profile](&ProfileFn{})
	register.Combiner3[*Accumulator, Row, *drift.Profile](&sketchFn{})
	register.Combiner2[binCounts, binnedRow](&binCountFn{})
	register.DoFn1x2[*drift.Profile, binEdges, error](&edgesFn{})
	register.Function3x0(binRow)
	register.Emitter1[binnedRow]()
	register.Function3x2(assemble)
}
