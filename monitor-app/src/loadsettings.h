// SPDX-License-Identifier: MIT
#pragma once

#include <QtCore/QMetaType>
#include <QtCore/QString>

namespace QPg::Monitor {

// What the built-in load generator runs: `clients` loops of acquire, query, release, think.
struct LoadSettings
{
    int clients = 4;
    QString query = QStringLiteral("SELECT 1");
    int thinkMs = 10;
};

} // namespace QPg::Monitor

Q_DECLARE_METATYPE(QPg::Monitor::LoadSettings)
