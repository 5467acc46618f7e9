// SPDX-License-Identifier: MIT
#pragma once

#include "statssample.h"

#include <QPg/poolstats.h>

#include <optional>

namespace QPg::Monitor {

// Turns consecutive PoolStats snapshots into StatsSamples (counter deltas per second). A counter
// going backwards means a new Pool (Reopen): the rates restart from zero.
class RateCalculator
{
public:
    StatsSample add(double time, const QPg::PoolStats &stats);
    void reset();

private:
    struct Previous
    {
        double time;
        QPg::PoolStats stats;
    };
    std::optional<Previous> m_previous;
};

} // namespace QPg::Monitor
