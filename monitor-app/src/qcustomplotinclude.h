// SPDX-License-Identifier: MIT
// QCustomPlot 2.1's header uses the `signals` and `foreach` keywords, which QT_NO_KEYWORDS removes:
// map them to their Q_ forms for this one include only.
#pragma once

#if defined(QT_NO_KEYWORDS)
#define signals Q_SIGNALS
#define slots Q_SLOTS
#define foreach Q_FOREACH
#include <qcustomplot.h>
#undef signals
#undef slots
#undef foreach
#else
#include <qcustomplot.h>
#endif
