package main

import (
	"bytes"
	"testing"
)

func FuzzParseCSV(f *testing.F) {
	var good bytes.Buffer
	good.WriteString("temperature,vibration,pressure,rotation_speed,failed\n70.1,2.9,5.0,1480,0\n80,4,4.2,1500,1\n")
	f.Add(good.Bytes())
	f.Add([]byte("temperature,vibration,pressure,rotation_speed,failed\n1,2,3\n"))
	f.Add([]byte("a,b\n1,2\n"))
	f.Add([]byte("temperature,vibration,pressure,rotation_speed,failed\nNaN,Inf,-Inf,1e999,x\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		b, err := parseCSV("fuzz.csv", data)
		if err != nil {
			return
		}
		if len(b.X) != len(b.Y) || len(b.X) == 0 {
			t.Fatalf("%d rows, %d labels", len(b.X), len(b.Y))
		}
		for _, row := range b.X {
			if len(row) != len(Features) {
				t.Fatalf("row of %d values", len(row))
			}
		}
	})
}

func FuzzDecodeModel(f *testing.F) {
	m, err := train(newGenerator(1, 24).batch(200, Ageing{}, 0), trainConfig{Epochs: 5, LearningRate: 0.5})
	if err != nil {
		f.Fatal(err)
	}
	good, err := m.encode()
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(`{"features":["a"],"mean":[0],"std":[1],"weights":[1],"limits":{"a":1}}`))
	f.Add([]byte(`{"weights":[1,2],"mean":[0]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := decodeModel(data)
		if err != nil {
			return
		}
		// A decoded model predicts or refuses; it never panics.
		x := make([]float64, len(m.Weights))
		if p, err := m.Predict(x); err == nil && !(p >= 0 && p <= 1) {
			t.Fatalf("probability %v", p)
		}
	})
}
