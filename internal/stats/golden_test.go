package stats

import (
	"encoding/json"
	"os"
	"testing"
)

// statsGolden mirrors testdata/stats_scipy.json, written by
// testdata/gen_stats_golden.py (/usr/bin/python3 gen_stats_golden.py stats_scipy.json).
type statsGolden struct {
	Generator string `json:"generator"`
	KSTwoSF   []struct {
		N  int64   `json:"n"`
		D  float64 `json:"d"`
		SF float64 `json:"sf"`
	} `json:"kstwo_sf"`
	Smirnov []struct {
		N  int64   `json:"n"`
		E  float64 `json:"e"`
		SF float64 `json:"sf"`
	} `json:"smirnov"`
	Chi2SF []struct {
		DoF int     `json:"dof"`
		X   float64 `json:"x"`
		SF  float64 `json:"sf"`
	} `json:"chi2_sf"`
	CvMLimit []struct {
		X   float64 `json:"x"`
		CDF float64 `json:"cdf"`
	} `json:"cvm_limit_cdf"`
	TwoSample []struct {
		Method       string    `json:"method"`
		X            []float64 `json:"x"`
		Y            []float64 `json:"y"`
		KSStatistic  float64   `json:"ks_statistic"`
		KSPValue     float64   `json:"ks_pvalue"`
		MWU1         float64   `json:"mw_u1"`
		MWPValue     float64   `json:"mw_pvalue"`
		CvMStatistic float64   `json:"cvm_statistic"`
		CvMPValue    float64   `json:"cvm_pvalue"`
	} `json:"two_sample"`
}

func loadStatsGolden(t *testing.T) statsGolden {
	t.Helper()
	b, err := os.ReadFile("testdata/stats_scipy.json")
	if err != nil {
		t.Fatal(err)
	}
	var g statsGolden
	if err := json.Unmarshal(b, &g); err != nil {
		t.Fatal(err)
	}
	return g
}

func TestGoldenDistributions(t *testing.T) {
	g := loadStatsGolden(t)
	t.Run("kstwo.sf", func(t *testing.T) {
		for _, c := range g.KSTwoSF {
			if got := KolmogorovSF(c.N, c.D); !near(got, c.SF) {
				t.Errorf("KolmogorovSF(%d, %v) = %v, want %v", c.N, c.D, got, c.SF)
			}
		}
	})
	t.Run("smirnov", func(t *testing.T) {
		for _, c := range g.Smirnov {
			if got := SmirnovSF(c.N, c.E); !near(got, c.SF) {
				t.Errorf("SmirnovSF(%d, %v) = %v, want %v", c.N, c.E, got, c.SF)
			}
		}
	})
	t.Run("chi2.sf", func(t *testing.T) {
		for _, c := range g.Chi2SF {
			if got := ChiSquareSF(c.X, c.DoF); !near(got, c.SF) {
				t.Errorf("ChiSquareSF(%v, %d) = %v, want %v", c.X, c.DoF, got, c.SF)
			}
		}
	})
	t.Run("cvm limit", func(t *testing.T) {
		for _, c := range g.CvMLimit {
			if got := CramerVonMisesLimitCDF(c.X); !near(got, c.CDF) {
				t.Errorf("CramerVonMisesLimitCDF(%v) = %v, want %v", c.X, got, c.CDF)
			}
		}
	})
}

func TestGoldenTwoSample(t *testing.T) {
	g := loadStatsGolden(t)
	methods := map[string]KSMethod{"auto": KSAuto, "exact": KSExact, "asymp": KSAsymptotic}
	for _, c := range g.TwoSample {
		t.Run(c.Method, func(t *testing.T) {
			ks, err := KolmogorovSmirnov(c.X, c.Y, methods[c.Method])
			if err != nil {
				t.Fatal(err)
			}
			if !near(ks.D, c.KSStatistic) || !near(ks.P, c.KSPValue) {
				t.Errorf("n=%d m=%d KS = %+v, want D %v P %v", len(c.X), len(c.Y), ks, c.KSStatistic, c.KSPValue)
			}
			// SciPy's auto is exact up to 10,000 values per sample.
			wantMethod := methods[c.Method]
			if wantMethod == KSAuto {
				wantMethod = KSAsymptotic
				if max(len(c.X), len(c.Y)) <= KSExactMaxN {
					wantMethod = KSExact
				}
			}
			if ks.Method != wantMethod {
				t.Errorf("n=%d m=%d: %s used %v, want %v", len(c.X), len(c.Y), c.Method, ks.Method, wantMethod)
			}
			mw, err := MannWhitneyU(c.X, c.Y)
			if err != nil {
				t.Fatal(err)
			}
			if !near(mw.U, c.MWU1) || !near(mw.P, c.MWPValue) {
				t.Errorf("n=%d m=%d MW = %+v, want U %v P %v", len(c.X), len(c.Y), mw, c.MWU1, c.MWPValue)
			}
			cvm, err := CramerVonMises(c.X, c.Y)
			if err != nil {
				t.Fatal(err)
			}
			if !near(cvm.Statistic, c.CvMStatistic) || !near(cvm.P, c.CvMPValue) {
				t.Errorf("n=%d m=%d CvM = %+v, want T %v P %v", len(c.X), len(c.Y), cvm, c.CvMStatistic, c.CvMPValue)
			}
		})
	}
}
