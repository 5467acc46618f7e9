// SPDX-License-Identifier: MIT
// Time helpers shared by the benchmark programs.
#pragma once

#include <QtCore/QEventLoop>
#include <QtCore/QTimer>

#include <sys/resource.h>

namespace QPgBench {

// User + system CPU time of this process so far, in seconds (getrusage: the process's own CPU,
// not its children's).
inline double processCpuSeconds()
{
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
        + double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

// Runs the event loop for ms milliseconds: work driven by it (and a GUI) goes on meanwhile.
inline void runEventLoopFor(int ms)
{
    QEventLoop loop;
    QTimer::singleShot(ms, &loop, &QEventLoop::quit);
    loop.exec();
}

} // namespace QPgBench
