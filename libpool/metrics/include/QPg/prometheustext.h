// SPDX-License-Identifier: MIT
#pragma once

#include <QPg/poolstats.h>
#include <QPg/qpgpool_metrics_export.h>

#include <QtCore/QByteArray>
#include <QtCore/QList>
#include <QtCore/QString>

namespace QPg {

// One pool's statistics with the labels it is published under.
struct QPGPOOL_METRICS_EXPORT NamedPoolStats
{
    QString pool;
    QString application;
    PoolStats stats;
};

// The Prometheus text exposition format (version 0.0.4) of the pools' statistics: one HELP and
// TYPE line per metric family, then a sample per pool labelled pool="…",application="…".
// docs/METRICS.md lists the metrics.
QPGPOOL_METRICS_EXPORT QByteArray prometheusText(const QList<NamedPoolStats> &pools);

// The content type to serve prometheusText() with.
QPGPOOL_METRICS_EXPORT QByteArray prometheusContentType();

} // namespace QPg
