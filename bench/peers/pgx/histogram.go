// SPDX-License-Identifier: MIT

package main

import (
	"math"
	"math/bits"
)

// histogram is bench/histogram.h in Go: exact below 128 ns, then 64 buckets per power of two.
const (
	histSub     = 64
	histLinear  = 128
	histOctaves = 40
)

type histogram struct {
	counts   [histLinear + histOctaves*histSub]int64
	total    int64
	sum      int64
	min, max int64
}

func bucketOf(ns int64) int {
	if ns < histLinear {
		if ns < 0 {
			return 0
		}
		return int(ns)
	}
	shift := bits.Len64(uint64(ns)) - 7
	i := histLinear + (shift-1)*histSub + int(ns>>uint(shift)) - histSub
	if i >= len(histogram{}.counts) {
		i = len(histogram{}.counts) - 1
	}
	return i
}

func bucketMiddle(i int) float64 {
	if i < histLinear {
		return float64(i)
	}
	shift := (i-histLinear)/histSub + 1
	lower := int64((i-histLinear)%histSub+histSub) << uint(shift)
	return float64(lower) + float64(int64(1)<<uint(shift))/2
}

func (h *histogram) add(ns int64) {
	h.counts[bucketOf(ns)]++
	if h.total == 0 || ns < h.min {
		h.min = ns
	}
	if ns > h.max {
		h.max = ns
	}
	h.total++
	h.sum += ns
}

func (h *histogram) merge(o *histogram) {
	if o.total == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	if h.total == 0 || o.min < h.min {
		h.min = o.min
	}
	if o.max > h.max {
		h.max = o.max
	}
	h.total += o.total
	h.sum += o.sum
}

func (h *histogram) mean() float64 {
	if h.total == 0 {
		return 0
	}
	return float64(h.sum) / float64(h.total)
}

func (h *histogram) percentile(fraction float64) float64 {
	if h.total == 0 {
		return 0
	}
	rank := int64(math.Max(math.Ceil(fraction*float64(h.total)), 1))
	seen := int64(0)
	for i, c := range h.counts {
		seen += c
		if seen >= rank {
			return math.Min(math.Max(bucketMiddle(i), float64(h.min)), float64(h.max))
		}
	}
	return float64(h.max)
}
